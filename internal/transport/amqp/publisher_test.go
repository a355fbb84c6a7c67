package amqp

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/testenv"
)

// fakePublisher fails its publishes with err when set, and panics on Close when
// panicOnClose is set, as a watermill-amqp publisher with a lost channel does.
type fakePublisher struct {
	id           int
	err          error
	panicOnClose bool
	closed       atomic.Bool
}

func (f *fakePublisher) Publish(string, ...*message.Message) error { return f.err }

func (f *fakePublisher) Close() error {
	f.closed.Store(true)
	if f.panicOnClose {
		panic("runtime error: invalid memory address or nil pointer dereference")
	}
	return nil
}

// lostChannelErr is the error watermill-amqp returns when its pool loses a channel.
var lostChannelErr = errors.New("cannot open channel: create AMQP channel: Exception (504) Reason: \"channel/connection is not open\"")

func TestHealingPublisherReplacesAfterLostChannel(t *testing.T) {
	var built []*fakePublisher
	var failBuild atomic.Bool
	build := func() (message.Publisher, error) {
		if failBuild.Load() {
			return nil, errors.New("dial: connection refused")
		}
		f := &fakePublisher{id: len(built)}
		built = append(built, f)
		return f, nil
	}
	h, err := newHealingPublisher(build, 20*time.Millisecond, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	msg := message.NewMessage("m", nil)

	// A failure that loses no channel keeps the publisher.
	built[0].err = errors.New("not connected to AMQP")
	if err := h.Publish("t", msg); err == nil {
		t.Fatal("the publisher's error was not returned")
	}
	built[0].err = nil
	if err := h.Publish("t", msg); err != nil || len(built) != 1 {
		t.Fatalf("publish: %v, %d publishers built; want the first one kept", err, len(built))
	}

	// A lost channel while the broker is away: publishing fails at once, without the
	// damaged pool, until a new publisher can be built.
	built[0].err = lostChannelErr
	built[0].panicOnClose = true
	if err := h.Publish("t", msg); !errors.Is(err, lostChannelErr) {
		t.Fatalf("got %v, want the lost channel error", err)
	}
	failBuild.Store(true)
	for range 3 {
		err := h.Publish("t", msg)
		if err == nil || !strings.Contains(err.Error(), "reconnecting") {
			t.Fatalf("got %v, want a reconnecting error", err)
		}
		time.Sleep(25 * time.Millisecond)
	}
	failBuild.Store(false)
	// Within the rebuild backoff a publish still answers "reconnecting"; after it, the
	// pool is built again and the publish goes through.
	var last error
	testenv.Eventually(t, "a publish once the broker is back", 5*time.Second, func() bool {
		last = h.Publish("t", msg)
		return last == nil
	})
	if last != nil {
		t.Fatalf("after the broker came back: %v", last)
	}
	if len(built) != 2 {
		t.Fatalf("%d publishers built, want 2", len(built))
	}
	if err := h.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if !built[0].closed.Load() || !built[1].closed.Load() {
		t.Errorf("closed: replaced %v, current %v; want both", built[0].closed.Load(), built[1].closed.Load())
	}
	if err := h.Publish("t", msg); err == nil {
		t.Error("publish after close succeeded")
	}
}

func TestCloseWatermillPublisherRecoversPoolPanic(t *testing.T) {
	err := closeWatermillPublisher(&fakePublisher{panicOnClose: true})
	if err == nil || !strings.Contains(err.Error(), "nil pointer") {
		t.Fatalf("got %v, want the pool's panic as an error", err)
	}
}
