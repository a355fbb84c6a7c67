package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/millrace/millrace/internal/server"
)

// DefaultStopTimeout bounds each stage's stop when Config.StopTimeout is not set.
const DefaultStopTimeout = server.DefaultShutdownTimeout

// stopGrace is how long Run waits past StopTimeout for a stage whose runners bound
// their own stop by the same timeout, so their error is reported rather than Run's.
const stopGrace = time.Second

// Stage is one step of a shutdown: runners that stop together.
type Stage struct {
	// Name says what the stage runs ("http", "handlers") in errors and logs.
	Name string
	// Runners run from the start until the stage stops.
	Runners []server.Runner
}

// Config configures Run.
type Config struct {
	// Stages in the order they stop: every runner of a stage has returned, or the
	// stage's stop timed out, before the next stage's context ends. Usually the HTTP
	// server first, then the handlers, the outbox relay and background work.
	Stages []Stage
	// Drain is called first when the service stops, typically health.Health.Drain so
	// that /readyz reports "draining" while the stages stop. Optional.
	Drain func()
	// StopTimeout bounds each stage's stop (default DefaultStopTimeout).
	StopTimeout time.Duration
	// Logger receives one line per stage stopped (default: discarded).
	Logger *slog.Logger
}

// Run runs the runners of every stage until ctx is done or one of them fails. Then it
// calls Drain and stops the stages one after the other: the runners of a stage see
// their context end only once those of the stages before it have returned. A stage that
// does not stop within StopTimeout (plus a second of grace for runners that bound their
// own stop by it) is left behind with an error, and the next stage stops. The
// publishers, connections and databases are closed after Run returns, by the cleanup
// of whatever built the service. Run returns the errors of every runner, joined.
func Run(ctx context.Context, cfg Config) error {
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var (
		mu     sync.Mutex
		errs   []error
		failed = make(chan struct{})
		fail   sync.Once
	)
	report := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
		fail.Do(func() { close(failed) })
	}
	cancels := make([]context.CancelFunc, len(cfg.Stages))
	dones := make([]chan struct{}, len(cfg.Stages))
	for i, stage := range cfg.Stages {
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cancels[i], dones[i] = cancel, make(chan struct{})
		var wg sync.WaitGroup
		for _, r := range stage.Runners {
			wg.Go(func() {
				if err := r(sctx); err != nil {
					report(err)
				}
			})
		}
		go func() {
			wg.Wait()
			close(dones[i])
		}()
	}
	select {
	case <-ctx.Done():
	case <-failed:
	}
	if cfg.Drain != nil {
		cfg.Drain()
	}
	for i, stage := range cfg.Stages {
		cancels[i]()
		timer := time.NewTimer(cfg.StopTimeout + stopGrace)
		select {
		case <-dones[i]:
			logger.Debug("stage stopped", "stage", stage.Name)
		case <-timer.C:
			err := fmt.Errorf("stage %s: not stopped within %s", stage.Name, cfg.StopTimeout)
			logger.Error("stop service", "error", err)
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
		timer.Stop()
	}
	mu.Lock()
	defer mu.Unlock()
	return errors.Join(errs...)
}
