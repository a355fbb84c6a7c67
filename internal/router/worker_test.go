package router

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

func TestOnWorkerReturnsTheOutcome(t *testing.T) {
	quit := make(chan struct{})
	defer close(quit)
	produced := message.NewMessage("produced", nil)
	boom := errors.New("boom")
	h := onWorker(quit)(func(msg *message.Message) ([]*message.Message, error) {
		if msg.UUID == "fail" {
			return nil, boom
		}
		return []*message.Message{produced}, nil
	})
	for range 3 {
		out, err := h(message.NewMessage("ok", nil))
		if err != nil || len(out) != 1 || out[0] != produced {
			t.Fatalf("got %v, %v; want the produced message and no error", out, err)
		}
		if _, err := h(message.NewMessage("fail", nil)); !errors.Is(err, boom) {
			t.Fatalf("got error %v, want %v", err, boom)
		}
	}
}

func TestOnWorkerRaisesPanicsOnTheCaller(t *testing.T) {
	quit := make(chan struct{})
	defer close(quit)
	h := onWorker(quit)(func(*message.Message) ([]*message.Message, error) { panic("kaput") })
	defer func() {
		r := recover()
		p, ok := r.(*workerPanic)
		if !ok {
			t.Fatalf("recovered %v (%T), want a *workerPanic", r, r)
		}
		if p.value != "kaput" || !strings.Contains(p.Error(), "kaput") || len(p.stack) == 0 {
			t.Fatalf("panic %q lost its value or stack", p.Error())
		}
	}()
	_, _ = h(message.NewMessage("m", nil))
	t.Fatal("the panic did not reach the caller")
}

func TestOnWorkerHandlesInlineWhenBusy(t *testing.T) {
	quit := make(chan struct{})
	defer close(quit)
	entered, release := make(chan struct{}), make(chan struct{})
	h := onWorker(quit)(func(msg *message.Message) ([]*message.Message, error) {
		if msg.UUID == "slow" {
			close(entered)
			<-release
		}
		return nil, nil
	})
	slowDone := make(chan error, 1)
	go func() { _, err := h(message.NewMessage("slow", nil)); slowDone <- err }()
	<-entered
	// The worker is busy with "slow": this one must not wait for it.
	fastDone := make(chan error, 1)
	go func() { _, err := h(message.NewMessage("fast", nil)); fastDone <- err }()
	select {
	case err := <-fastDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a message waited for the busy worker")
	}
	close(release)
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
}

func TestOnWorkerStillHandlesAfterQuit(t *testing.T) {
	quit := make(chan struct{})
	calls := 0
	h := onWorker(quit)(func(*message.Message) ([]*message.Message, error) { calls++; return nil, nil })
	close(quit)
	for range 3 {
		if _, err := h(message.NewMessage("m", nil)); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 3 {
		t.Fatalf("handler called %d times, want 3", calls)
	}
}
