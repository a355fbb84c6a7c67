package registration

import (
	"context"
	"errors"
	"sync"

	"github.com/millrace/millrace/internal/server"
)

// runStages runs the runners of every stage until ctx is done or one of them fails.
// Then it calls drain and stops the stages one after the other: the runners of a stage
// see their context end only once every runner of the stages before it has returned.
// It returns the errors of every runner, joined.
func runStages(ctx context.Context, drain func(), stages ...[]server.Runner) error {
	var (
		mu     sync.Mutex
		errs   []error
		failed = make(chan struct{})
		fail   sync.Once
	)
	cancels := make([]context.CancelFunc, len(stages))
	dones := make([]chan struct{}, len(stages))
	for i, stage := range stages {
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cancels[i], dones[i] = cancel, make(chan struct{})
		var wg sync.WaitGroup
		for _, r := range stage {
			wg.Go(func() {
				if err := r(sctx); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					fail.Do(func() { close(failed) })
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
	if drain != nil {
		drain()
	}
	for i := range stages {
		cancels[i]()
		<-dones[i]
	}
	mu.Lock()
	defer mu.Unlock()
	return errors.Join(errs...)
}
