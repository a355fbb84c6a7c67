package registration_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/internal/testenv"
)

// TestTraceOfARegistration follows one sign-up through the delivery log, as `millrace
// trace` shows it: the HTTP request, its users.registered, the verification email's
// handler with its retries (SMTP refuses the first two attempts), and the mail.sent it
// published, in causal order.
func TestTraceOfARegistration(t *testing.T) {
	p := profiles[2] // postgres+redis
	st := startStack(t, p, options{maxAttempts: 5, concurrency: 1, trace: true})
	st.smtp.setFailFirst(2)
	cid := "trace-" + strings.TrimSuffix(st.prefix, ".")
	if resp, body := st.register("ada@example.com", "Ada", "correct horse battery", cid); resp.StatusCode != 201 {
		t.Fatalf("register: %d %v", resp.StatusCode, body)
	}
	log := st.app.Obs.DeliveryLog
	if log == nil {
		t.Fatal("no delivery log for a topology with a trace section")
	}

	// Each line, in this order: the registration, its handling by the mailer after two
	// retries, the email event that handling published.
	want := []string{
		"POST /users -> 201 (registration)",
		"users.registered v1 (topic " + st.prefix + "users.registered via redis)",
		"send-verification-email: ok after 2 retries",
		"mail.sent v1 (topic " + st.prefix + "mail.sent via redis)",
	}
	var text strings.Builder
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last trace read:\n%s", text.String())
		}
	})
	// The handler's outcome is logged once it returns, after it published mail.sent:
	// wait for every line, then check their order.
	testenv.Eventually(t, "the flow in the delivery log", 30*time.Second, func() bool {
		tree, err := log.Tree(context.Background(), cid)
		if errors.Is(err, deliverylog.ErrNotFound) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		text.Reset()
		if err := deliverylog.WriteText(&text, tree, time.UTC); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(text.String(), w) {
				return false
			}
		}
		return true
	})
	out := text.String()
	t.Logf("millrace trace %s:\n%s", cid, out)
	at := 0
	for _, w := range want {
		i := strings.Index(out[at:], w)
		if i < 0 {
			t.Fatalf("trace lacks %q after position %d:\n%s", w, at, out)
		}
		at += i + len(w)
	}
}
