package setup

import (
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/outbox"
)

func TestFromEnvReadsTheRelaySettings(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	s, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s.OutboxInFlight != outbox.DefaultInFlight || s.OutboxPoll != outbox.DefaultPollInterval {
		t.Errorf("defaults: in flight %d, poll %v; want %d, %v", s.OutboxInFlight, s.OutboxPoll, outbox.DefaultInFlight, outbox.DefaultPollInterval)
	}
	s, err = FromEnv(env(map[string]string{"MILLRACE_OUTBOX_IN_FLIGHT": "1", "MILLRACE_OUTBOX_POLL_INTERVAL": "50ms"}))
	if err != nil {
		t.Fatal(err)
	}
	if s.OutboxInFlight != 1 || s.OutboxPoll != 50*time.Millisecond {
		t.Errorf("set: in flight %d, poll %v; want 1, 50ms", s.OutboxInFlight, s.OutboxPoll)
	}
	_, err = FromEnv(env(map[string]string{"MILLRACE_OUTBOX_IN_FLIGHT": "0", "MILLRACE_OUTBOX_POLL_INTERVAL": "soon"}))
	if err == nil {
		t.Fatal("no error for MILLRACE_OUTBOX_IN_FLIGHT=0 and MILLRACE_OUTBOX_POLL_INTERVAL=soon")
	}
	for _, want := range []string{`MILLRACE_OUTBOX_IN_FLIGHT="0"`, `MILLRACE_OUTBOX_POLL_INTERVAL="soon"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
