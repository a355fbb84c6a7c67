package router

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/topology"
)

// recordWaits returns a wait func that records each delay and never sleeps.
func recordWaits(waits *[]time.Duration) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return ctx.Err()
	}
}

func TestRetry(t *testing.T) {
	transient, permanent := errors.New("transient"), Permanent(errors.New("bad input"))
	policy := topology.Retry{MaxAttempts: 5, InitialInterval: 10 * time.Millisecond, MaxInterval: 30 * time.Millisecond, Multiplier: 2}
	for _, tc := range []struct {
		name      string
		policy    topology.Retry
		errs      []error // the error of each attempt; nil after the list ends
		wantCalls int
		wantWaits []time.Duration
		wantErr   error
	}{
		{name: "first attempt succeeds", policy: policy, wantCalls: 1},
		{name: "succeeds on the third", policy: policy, errs: []error{transient, transient},
			wantCalls: 3, wantWaits: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}},
		{name: "gives up after max attempts", policy: policy,
			errs:      []error{transient, transient, transient, transient, transient, transient},
			wantCalls: 5, wantErr: transient,
			wantWaits: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond}},
		{name: "permanent first", policy: policy, errs: []error{permanent}, wantCalls: 1, wantErr: permanent},
		{name: "permanent after a transient", policy: policy, errs: []error{transient, permanent},
			wantCalls: 2, wantErr: permanent, wantWaits: []time.Duration{10 * time.Millisecond}},
		{name: "one attempt only", policy: topology.Retry{MaxAttempts: 1, InitialInterval: time.Second},
			errs: []error{transient}, wantCalls: 1, wantErr: transient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var waits []time.Duration
			calls := 0
			h := retry{policy: tc.policy, logger: slog.New(slog.DiscardHandler), wait: recordWaits(&waits)}.middleware(
				func(*message.Message) ([]*message.Message, error) {
					calls++
					if calls <= len(tc.errs) {
						return nil, tc.errs[calls-1]
					}
					return nil, nil
				})
			_, err := h(message.NewMessage("m", nil))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if calls != tc.wantCalls {
				t.Errorf("%d attempts, want %d", calls, tc.wantCalls)
			}
			if !slices.Equal(waits, tc.wantWaits) {
				t.Errorf("waited %v, want %v", waits, tc.wantWaits)
			}
		})
	}
}

func TestRetryResetsContextAndStopsWhenItEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	type key struct{}
	var seen []any
	h := retry{policy: topology.Retry{MaxAttempts: 4, InitialInterval: time.Millisecond, MaxInterval: time.Millisecond, Multiplier: 2},
		logger: slog.New(slog.DiscardHandler)}.middleware(
		func(msg *message.Message) ([]*message.Message, error) {
			seen = append(seen, msg.Context().Value(key{}))
			// An attempt leaves its own context behind; the next must not inherit it.
			msg.SetContext(context.WithValue(msg.Context(), key{}, len(seen)))
			if len(seen) == 2 {
				cancel()
			}
			return nil, errors.New("transient")
		})
	msg := message.NewMessage("m", nil)
	msg.SetContext(ctx)
	_, err := h(msg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled once the delivery's context ended", err)
	}
	if !slices.Equal(seen, []any{nil, nil}) {
		t.Fatalf("attempts saw context values %v, want two attempts each from the original context", seen)
	}
}
