package testenv_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/testenv"
)

// fatalRecorder records a Fatalf instead of stopping the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = format
	for _, a := range args {
		if s, ok := a.(string); ok {
			f.msg += " " + s
		}
	}
}

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	var polls atomic.Int32
	testenv.Eventually(t, "the third poll", 5*time.Second, func() bool { return polls.Add(1) == 3 })
	if got := polls.Load(); got != 3 {
		t.Errorf("polled %d times, want 3", got)
	}
}

func TestEventuallyFailsAfterTheTimeoutNamingWhat(t *testing.T) {
	rec := &fatalRecorder{TB: t}
	start := time.Now()
	calls := 0
	testenv.Eventually(rec, "a condition that never holds", 50*time.Millisecond, func() bool {
		calls++
		// Fatalf on a recorder does not stop the goroutine: hold once it has failed.
		return rec.msg != ""
	})
	if !strings.Contains(rec.msg, "a condition that never holds") {
		t.Errorf("failure %q does not say what was awaited", rec.msg)
	}
	if elapsed := time.Since(start); elapsed < 50*time.Millisecond {
		t.Errorf("failed after %s, before the timeout", elapsed)
	}
	if calls < 2 {
		t.Errorf("condition polled %d times, want several", calls)
	}
}
