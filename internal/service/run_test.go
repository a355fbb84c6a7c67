package service_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/server"
	"github.com/millrace/millrace/internal/service"
)

// TestRunStopsInOrder checks that drain comes first and that a stage only sees its
// context end once the stages before it have returned.
func TestRunStopsInOrder(t *testing.T) {
	var (
		mu  sync.Mutex
		log []string
	)
	record := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, s)
	}
	started := make(chan struct{}, 3)
	runner := func(name string) server.Runner {
		return func(ctx context.Context) error {
			started <- struct{}{}
			<-ctx.Done()
			record("stop " + name)
			return nil
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- service.Run(ctx, service.Config{
			Drain: func() { record("drain") },
			Stages: []service.Stage{
				{Name: "http", Runners: []server.Runner{runner("http")}},
				{Name: "handlers", Runners: []server.Runner{runner("router"), runner("router")}},
			},
		})
	}()
	for range 3 {
		<-started
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := []string{"drain", "stop http", "stop router", "stop router"}
	if !slices.Equal(log, want) {
		t.Errorf("order %v, want %v", log, want)
	}
}

// TestRunStopsAllWhenOneFails checks that a failing runner stops the others and that
// its error is returned.
func TestRunStopsAllWhenOneFails(t *testing.T) {
	boom := errors.New("boom")
	drained := false
	err := service.Run(context.Background(), service.Config{
		Drain: func() { drained = true },
		Stages: []service.Stage{
			{Name: "http", Runners: []server.Runner{func(ctx context.Context) error { <-ctx.Done(); return nil }}},
			{Name: "handlers", Runners: []server.Runner{func(context.Context) error { return boom }}},
		},
	})
	if !errors.Is(err, boom) {
		t.Errorf("Run returned %v, want %v", err, boom)
	}
	if !drained {
		t.Error("not drained after a failure")
	}
}

// TestRunBoundsEachStage checks that a stage that does not stop is left behind with an
// error and that the next stage still stops.
func TestRunBoundsEachStage(t *testing.T) {
	stuck := make(chan struct{})
	defer close(stuck)
	stopped := false
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	err := service.Run(ctx, service.Config{
		StopTimeout: 10 * time.Millisecond,
		Stages: []service.Stage{
			{Name: "http", Runners: []server.Runner{func(context.Context) error { <-stuck; return nil }}},
			{Name: "handlers", Runners: []server.Runner{func(ctx context.Context) error { <-ctx.Done(); stopped = true; return nil }}},
		},
	})
	if err == nil || !strings.Contains(err.Error(), "stage http") {
		t.Errorf("Run returned %v, want the stuck stage named", err)
	}
	if !stopped {
		t.Error("the stage after the stuck one did not stop")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run took %s", d)
	}
}
