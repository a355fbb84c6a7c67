// Package routertest runs a router for the length of a test.
package routertest

import (
	"context"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/router"
)

// StartTimeout bounds how long Start waits for the router's handlers to subscribe.
const StartTimeout = 30 * time.Second

// Start builds a router from cfg (with a 10 s close timeout unless cfg sets one), runs
// it, and returns once every handler has subscribed. When the test ends the router is
// closed, and an error from Close or Run fails the test.
func Start(tb testing.TB, cfg router.Config) *router.Router {
	tb.Helper()
	if cfg.CloseTimeout == 0 {
		cfg.CloseTimeout = 10 * time.Second
	}
	r, err := router.New(cfg)
	if err != nil {
		tb.Fatalf("router.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	tb.Cleanup(func() {
		if err := r.Close(); err != nil {
			tb.Errorf("router Close: %v", err)
		}
		if err := <-done; err != nil {
			tb.Errorf("router Run: %v", err)
		}
	})
	select {
	case <-r.Running():
	case err := <-done:
		done <- err
		tb.Fatalf("router stopped before running: %v", err)
	case <-time.After(StartTimeout):
		tb.Fatalf("router not running after %s", StartTimeout)
	}
	return r
}
