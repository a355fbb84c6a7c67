package router

import (
	"context"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// timeout bounds each attempt of a handler by d, like Watermill's Timeout middleware,
// whose context.WithTimeout starts a timer for every attempt: on the in-memory
// transport a fifth of the cost of handling a message. Most attempts finish without
// anything waiting on their context's Done channel, so the attempt's context here
// reports its deadline at once but starts the timer only when Done is first called.
// To whoever uses it, it behaves as a context.WithTimeout that is cancelled when the
// attempt returns.
func timeout(d time.Duration) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			ctx := newAttemptContext(msg.Context(), time.Now().Add(d))
			defer ctx.end()
			msg.SetContext(ctx)
			return h(msg)
		}
	}
}

// attemptContext is the context of one attempt: a deadline whose timer starts on demand.
type attemptContext struct {
	parent   context.Context
	deadline time.Time

	mu sync.Mutex
	// timed is context.WithDeadline(parent, deadline), made on demand; once it exists
	// every method defers to it.
	timed  context.Context
	cancel context.CancelFunc
	ended  bool // the attempt returned
}

func newAttemptContext(parent context.Context, deadline time.Time) *attemptContext {
	if pd, ok := parent.Deadline(); ok && pd.Before(deadline) {
		deadline = pd
	}
	return &attemptContext{parent: parent, deadline: deadline}
}

// materialize returns the timed context, making it if needed; c.mu is held.
func (c *attemptContext) materialize() context.Context {
	if c.timed == nil {
		c.timed, c.cancel = context.WithDeadline(c.parent, c.deadline)
		if c.ended {
			c.cancel()
		}
	}
	return c.timed
}

// end cancels the context: the attempt has returned.
func (c *attemptContext) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = true
	if c.cancel != nil {
		c.cancel()
	}
}

func (c *attemptContext) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *attemptContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.materialize().Done()
}

func (c *attemptContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timed != nil {
		return c.timed.Err()
	}
	if err := c.parent.Err(); err != nil || c.ended || !time.Now().Before(c.deadline) {
		// Let the timed context decide which error, so that Err, Done and
		// context.Cause agree from now on.
		return c.materialize().Err()
	}
	return nil
}

// Value looks key up in the parent. Once the context is done, it looks it up in the
// timed context, which answers context.Cause with the reason the attempt ended.
func (c *attemptContext) Value(key any) any {
	c.mu.Lock()
	timed := c.timed
	if timed == nil && (c.ended || !time.Now().Before(c.deadline)) {
		timed = c.materialize()
	}
	c.mu.Unlock()
	if timed != nil {
		return timed.Value(key)
	}
	return c.parent.Value(key)
}

func (c *attemptContext) String() string { return "router.attemptContext" }
