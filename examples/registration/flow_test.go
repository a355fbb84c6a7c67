package registration_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/testenv"
)

const flowTimeout = 30 * time.Second

// TestRegistrationFlow runs the whole sign-up on every profile: register over HTTP,
// receive the verification email on a real SMTP server, follow the link, receive the
// welcome email, read /stats, and find one correlation id on the HTTP response, both
// emails and every event of the flow.
func TestRegistrationFlow(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			runFlow(t, startStack(t, p, options{}))
		})
	}
}

// TestRegistrationFlowEmbeddedProfiles runs the same flow on the profiles the binaries
// ship (config/*.yaml), with prefixed topics and test databases.
func TestRegistrationFlowEmbeddedProfiles(t *testing.T) {
	for _, name := range config.Profiles() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runFlow(t, startStack(t, profile{name: name, embedded: name}, options{}))
		})
	}
}

func runFlow(t *testing.T, st *stack) {
	registered := st.observe("users.registered")
	verified := st.observe("users.verified")
	sent := st.observe("mail.sent")

	cid := correlation.New()
	addr := "ada@example.com"
	resp, body := st.register(addr, "Ada Lovelace", "correct horse battery", cid)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: status %d, body %v", resp.StatusCode, body)
	}
	if got := resp.Header.Get(correlation.Header); got != cid {
		t.Errorf("response correlation id %q, want %q", got, cid)
	}
	id, _ := body["id"].(string)
	if loc := resp.Header.Get("Location"); id == "" || loc != "/users/"+id {
		t.Errorf("Location %q for user %q", loc, id)
	}
	if _, ok := body["password_hash"]; ok || body["status"] != "pending" {
		t.Errorf("registered user body %v", body)
	}

	testenv.Eventually(t, "the verification email", flowTimeout, func() bool { return len(st.smtp.to(addr)) >= 1 })
	verification := st.smtp.to(addr)[0]
	if verification.CorrelationID != cid {
		t.Errorf("verification email correlation id %q, want %q", verification.CorrelationID, cid)
	}
	link := st.linkPath(verification.Body)

	// Following the link from the email sends no correlation id; the verification
	// continues the sign-up's flow and answers with its id.
	resp, page := st.do(http.MethodGet, link, "", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page["html"].(string), "confirmed") {
		t.Fatalf("verify: status %d, page %v", resp.StatusCode, page)
	}
	if got := resp.Header.Get(correlation.Header); got != cid {
		t.Errorf("verify response correlation id %q, want the sign-up's %q", got, cid)
	}
	resp, _ = st.do(http.MethodGet, link, "", "")
	if resp.StatusCode != http.StatusGone {
		t.Errorf("second use of the link: status %d, want 410", resp.StatusCode)
	}

	testenv.Eventually(t, "the welcome email", flowTimeout, func() bool { return len(st.smtp.to(addr)) >= 2 })
	welcome := st.smtp.to(addr)[1]
	if !strings.Contains(welcome.Subject, "Welcome") || welcome.CorrelationID != cid {
		t.Errorf("welcome email %+v, want subject Welcome and correlation id %q", welcome, cid)
	}
	testenv.Eventually(t, "stats total 1 active 1", flowTimeout, func() bool {
		total, active := st.stats()
		return total == 1 && active == 1
	})
	resp, u := st.do(http.MethodGet, "/users/"+id, "", "")
	if resp.StatusCode != http.StatusOK || u["status"] != "active" {
		t.Errorf("GET /users/%s: %d %v", id, resp.StatusCode, u)
	}

	testenv.Eventually(t, "the events of the flow", flowTimeout, func() bool {
		return len(registered()) == 1 && len(verified()) == 1 && len(sent()) == 2
	})
	for topic, msgs := range map[string][]string{
		"users.registered": correlationIDs(registered()),
		"users.verified":   correlationIDs(verified()),
		"mail.sent":        correlationIDs(sent()),
	} {
		for _, got := range msgs {
			if got != cid {
				t.Errorf("%s event correlation id %q, want %q", topic, got, cid)
			}
		}
	}
	if got := event.MessageType(registered()[0]); got != "users.registered.v1" {
		t.Errorf("registered event type %q", got)
	}
	if n := len(st.smtp.to(addr)); n != 2 {
		t.Errorf("%d emails to %s, want 2", n, addr)
	}
}
