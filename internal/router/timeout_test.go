package router

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/millrace/millrace/internal/testenv"
)

type valueKey struct{}

// waitDone fails the test unless ctx is done within a few seconds.
func waitDone(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: context not done", what)
	}
}

func TestAttemptContextDeadline(t *testing.T) {
	parent := context.WithValue(context.Background(), valueKey{}, "v")
	want := time.Now().Add(time.Hour)
	ctx := newAttemptContext(parent, want)
	if d, ok := ctx.Deadline(); !ok || !d.Equal(want) {
		t.Errorf("Deadline() = %v, %v; want %v, true", d, ok, want)
	}
	if got := ctx.Value(valueKey{}); got != "v" {
		t.Errorf("Value = %v, want the parent's v", got)
	}
	if err := ctx.Err(); err != nil {
		t.Errorf("Err() = %v before the deadline", err)
	}

	early, cancel := context.WithDeadline(parent, time.Now().Add(time.Minute))
	defer cancel()
	pd, _ := early.Deadline()
	if d, _ := newAttemptContext(early, want).Deadline(); !d.Equal(pd) {
		t.Errorf("Deadline() = %v, want the parent's earlier %v", d, pd)
	}
}

// The deadline ends the context whether or not anyone waited on Done before it passed.
func TestAttemptContextExpires(t *testing.T) {
	t.Run("waiting on Done", func(t *testing.T) {
		ctx := newAttemptContext(context.Background(), time.Now().Add(20*time.Millisecond))
		child, cancel := context.WithCancel(ctx)
		defer cancel()
		waitDone(t, ctx, "attempt")
		waitDone(t, child, "child")
		for name, c := range map[string]context.Context{"attempt": ctx, "child": child} {
			if !errors.Is(c.Err(), context.DeadlineExceeded) {
				t.Errorf("%s Err() = %v, want deadline exceeded", name, c.Err())
			}
			if !errors.Is(context.Cause(c), context.DeadlineExceeded) {
				t.Errorf("%s Cause = %v, want deadline exceeded", name, context.Cause(c))
			}
		}
	})
	t.Run("not waiting", func(t *testing.T) {
		parent, cancelParent := context.WithCancel(context.Background())
		defer cancelParent()
		ctx := newAttemptContext(parent, time.Now().Add(10*time.Millisecond))
		// Waits on the clock, not on ctx: Err would start the timer, and Cause is to
		// find the deadline passed on a context nobody asked before.
		deadline, _ := ctx.Deadline()
		testenv.Eventually(t, "the attempt's deadline to pass", 30*time.Second, func() bool { return !time.Now().Before(deadline) })
		if !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
			t.Errorf("Cause = %v, want deadline exceeded", context.Cause(ctx))
		}
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Errorf("Err() = %v, want deadline exceeded", ctx.Err())
		}
		waitDone(t, ctx, "attempt")
	})
}

func TestAttemptContextParentCancelled(t *testing.T) {
	for _, waited := range []bool{true, false} {
		parent, cancel := context.WithCancelCause(context.Background())
		ctx := newAttemptContext(parent, time.Now().Add(time.Hour))
		if waited {
			_ = ctx.Done()
		}
		cause := errors.New("shutting down")
		cancel(cause)
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("waited %v: Err() = %v, want canceled", waited, ctx.Err())
		}
		if got := context.Cause(ctx); !errors.Is(got, cause) {
			t.Errorf("waited %v: Cause = %v, want the parent's cause", waited, got)
		}
		waitDone(t, ctx, "attempt")
	}
}

// Once the attempt returns its context is cancelled, as Watermill's Timeout leaves it.
func TestAttemptContextEnd(t *testing.T) {
	for _, waited := range []bool{true, false} {
		ctx := newAttemptContext(context.Background(), time.Now().Add(time.Hour))
		if waited {
			_ = ctx.Done()
		}
		ctx.end()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("waited %v: Err() = %v after end, want canceled", waited, ctx.Err())
		}
		waitDone(t, ctx, "ended attempt")
	}
}

func TestTimeoutMiddleware(t *testing.T) {
	var seen context.Context
	h := timeout(time.Hour)(func(msg *message.Message) ([]*message.Message, error) {
		seen = msg.Context()
		if d, ok := seen.Deadline(); !ok || time.Until(d) < 59*time.Minute {
			t.Errorf("handler's deadline %v, %v; want about an hour ahead", d, ok)
		}
		if err := seen.Err(); err != nil {
			t.Errorf("handler's context done at start: %v", err)
		}
		return nil, nil
	})
	msg := message.NewMessage(watermill.NewUUID(), nil)
	msg.SetContext(context.WithValue(context.Background(), valueKey{}, "v"))
	if _, err := h(msg); err != nil {
		t.Fatal(err)
	}
	if seen.Value(valueKey{}) != "v" {
		t.Error("handler's context lost the message context's values")
	}
	if !errors.Is(seen.Err(), context.Canceled) {
		t.Errorf("after the handler returned, Err() = %v; want canceled", seen.Err())
	}
}

func BenchmarkTimeout(b *testing.B) {
	msg := message.NewMessage(watermill.NewUUID(), nil)
	parent := context.WithValue(context.Background(), valueKey{}, "v")
	next := func(msg *message.Message) ([]*message.Message, error) { return nil, msg.Context().Err() }
	for name, m := range map[string]message.HandlerMiddleware{
		"on-demand": timeout(30 * time.Second),
		"watermill": middleware.Timeout(30 * time.Second),
	} {
		b.Run(name, func(b *testing.B) {
			h := m(next)
			for b.Loop() {
				msg.SetContext(parent)
				if _, err := h(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
