package testenv

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds and fails the test when timeout passes first,
// saying what it waited for. It is how a test waits for something asynchronous; a
// test never asserts after a bare sleep. Polls start at 5ms and back off to 100ms.
func Eventually(tb testing.TB, what string, timeout time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for interval := 5 * time.Millisecond; !cond(); interval = min(2*interval, 100*time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(interval)
	}
}
