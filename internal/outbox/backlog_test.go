package outbox_test

import (
	"context"
	"testing"
	"time"
)

// TestBacklogCountsRowsNotRelayed writes three committed events and one rolled back:
// the backlog is 3 before the relay runs and drops to 0 once it relayed them.
func TestBacklogCountsRowsNotRelayed(t *testing.T) {
	e := newRelayEnv(t, "{kind: gochannel}")
	ctx := context.Background()
	if n, err := e.ob.Backlog(ctx); err != nil || n != 0 {
		t.Fatalf("empty outbox: backlog %d, %v; want 0", n, err)
	}
	for i := range 3 {
		e.publish(t, i, false)
	}
	e.publish(t, 3, true)
	if n, err := e.ob.Backlog(ctx); err != nil || n != 3 {
		t.Fatalf("before relaying: backlog %d, %v; want 3", n, err)
	}
	ch := e.subscribe(t)
	e.run(t)
	for range 3 {
		select {
		case m := <-ch:
			m.Ack()
		case <-time.After(30 * time.Second):
			t.Fatal("event not relayed")
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := e.ob.Backlog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backlog %d after relaying everything, want 0", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
