package registration

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/millrace/millrace/internal/server"
)

// TestRunStagesStopsInOrder checks that drain comes first and that a stage only sees
// its context end once the stages before it have returned.
func TestRunStagesStopsInOrder(t *testing.T) {
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
		done <- runStages(ctx, func() { record("drain") },
			[]server.Runner{runner("http")}, []server.Runner{runner("router"), runner("router")})
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

// TestRunStagesStopsAllWhenOneFails checks that a failing runner stops the others and
// that its error is returned.
func TestRunStagesStopsAllWhenOneFails(t *testing.T) {
	boom := errors.New("boom")
	drained := false
	err := runStages(context.Background(), func() { drained = true },
		[]server.Runner{func(ctx context.Context) error { <-ctx.Done(); return nil }},
		[]server.Runner{func(context.Context) error { return boom }})
	if !errors.Is(err, boom) {
		t.Errorf("runStages returned %v, want %v", err, boom)
	}
	if !drained {
		t.Error("not drained after a failure")
	}
}
