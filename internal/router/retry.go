package router

import (
	"context"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/cenkalti/backoff/v5"

	"github.com/millrace/millrace/topology"
)

// retry runs the attempts of one delivery: the first at once, each next one after an
// exponential backoff from the policy (initial_interval, times multiplier for every
// further attempt, at most max_interval, no jitter), until an attempt succeeds, fails
// with a permanent error, max_attempts is reached or the delivery's context ends. Each
// attempt starts from the context retry was entered with, so an attempt that timed out
// does not leave the next one a cancelled context. The error of the last attempt is
// returned as is.
//
// It keeps the schedule and semantics of Watermill's Retry middleware (with
// ShouldRetry refusing permanent errors and ResetContextOnRetry), but builds the
// backoff only once an attempt has failed: Watermill's builds it for every message,
// which cost 7% of handling a message on the in-memory transport.
type retry struct {
	policy topology.Retry
	logger *slog.Logger
	// wait sleeps d or until ctx ends, returning ctx's error then (default sleep).
	wait func(ctx context.Context, d time.Duration) error
}

func (r retry) middleware(h message.HandlerFunc) message.HandlerFunc {
	wait := r.wait
	if wait == nil {
		wait = sleep
	}
	maxAttempts := max(r.policy.MaxAttempts, 1)
	return func(msg *message.Message) ([]*message.Message, error) {
		ctx := msg.Context()
		produced, err := h(msg)
		if err == nil || maxAttempts == 1 || IsPermanent(err) {
			return produced, err
		}
		b := r.backoff()
		for attempt := 2; attempt <= maxAttempts; attempt++ {
			delay := b.NextBackOff()
			r.logger.WarnContext(ctx, "handler failed, retrying",
				"error", err, "attempt", attempt-1, "max_attempts", maxAttempts, "wait", delay)
			if werr := wait(ctx, delay); werr != nil {
				return produced, werr
			}
			msg.SetContext(ctx)
			produced, err = h(msg)
			if err == nil || IsPermanent(err) {
				return produced, err
			}
		}
		return produced, err
	}
}

// backoff returns the delays between attempts, from the first retry on.
func (r retry) backoff() *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = r.policy.InitialInterval
	b.MaxInterval = r.policy.MaxInterval
	b.Multiplier = r.policy.Multiplier
	b.RandomizationFactor = 0
	b.Reset()
	return b
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
