package registration_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/internal/testenv"
)

// shape renders the tree without times, transports and topic prefixes, and with the
// outcomes of a message sorted by handler (handlers of one message end in any order):
// each request, each message under the request or outcome that caused it.
func shape(t *deliverylog.Tree, prefix string) string {
	var b strings.Builder
	var message func(m *deliverylog.Message, indent string)
	message = func(m *deliverylog.Message, indent string) {
		b.WriteString(indent + strings.TrimPrefix(m.Topic, prefix) + " " + m.Title() + "\n")
		outcomes := slices.Clone(m.Outcomes)
		slices.SortFunc(outcomes, func(a, b deliverylog.Outcome) int { return strings.Compare(a.Handler, b.Handler) })
		for _, o := range outcomes {
			b.WriteString(indent + "  " + o.Handler + ": " + o.String() + "\n")
			for _, c := range m.Children {
				if c.PublishedBy == o.Handler {
					message(c, indent+"    ")
				}
			}
		}
		for _, c := range m.Children {
			if !slices.ContainsFunc(outcomes, func(o deliverylog.Outcome) bool { return o.Handler == c.PublishedBy }) {
				message(c, indent+"  ")
			}
		}
	}
	for _, r := range t.Requests {
		b.WriteString(r.Method + " " + r.Path + " -> " + http.StatusText(r.Status) + "\n")
		for _, m := range r.Messages {
			message(m, "  ")
		}
	}
	for _, m := range t.Messages {
		message(m, "")
	}
	return b.String()
}

// TestTraceOfSignUpAndVerification follows a sign-up and the verification link in the
// delivery log: each event hangs under the request or event that caused it, the
// verification request after the sign-up's subtree. The verification continues the
// sign-up's flow under one correlation id: the response header, the events, the
// welcome email and every log line naming the user, "user verified" included.
func TestTraceOfSignUpAndVerification(t *testing.T) {
	var logs testenv.Buffer
	logger := slog.New(correlation.NewLogHandler(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	st := startStack(t, profiles[2], options{trace: true, logger: logger})
	cid := "flow-" + strings.TrimSuffix(st.prefix, ".")
	resp, body := st.register("grace@example.com", "Grace", "correct horse battery", cid)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %v", resp.StatusCode, body)
	}
	userID, _ := body["id"].(string)
	testenv.Eventually(t, "the verification email", 30*time.Second, func() bool { return len(st.smtp.to("grace@example.com")) == 1 })
	// Followed from a mail client: no correlation header.
	resp, page := st.do(http.MethodGet, st.linkPath(st.smtp.to("grace@example.com")[0].Body), "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("verify: %d %v", resp.StatusCode, page)
	}
	if got := resp.Header.Get(correlation.Header); got != cid {
		t.Errorf("verify answered with correlation id %q, want the sign-up's %q", got, cid)
	}

	want := strings.Join([]string{
		"POST /users -> Created",
		"  users.registered users.registered v1",
		"    send-verification-email: ok",
		"      mail.sent mail.sent v1",
		"    update-user-stats: ok",
		"GET /users/verify -> OK",
		"  users.verified users.verified v1",
		"    send-welcome-email: ok",
		"      mail.sent mail.sent v1",
		"    update-user-stats: ok",
	}, "\n") + "\n"
	var (
		tree *deliverylog.Tree
		got  string
	)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last tree read:\n%s", got)
		}
	})
	testenv.Eventually(t, "the flow's tree", 30*time.Second, func() bool {
		var err error
		if tree, err = st.app.Obs.DeliveryLog.Tree(context.Background(), cid); err != nil {
			return false
		}
		got = shape(tree, st.prefix)
		return got == want
	})

	// As `millrace trace` prints it: the verification request comes after the
	// sign-up's events, and its event under it.
	var text strings.Builder
	if err := deliverylog.WriteText(&text, tree, time.UTC); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	t.Logf("millrace trace %s:\n%s", cid, out)
	at := 0
	for _, w := range []string{"POST /users -> 201", "  └ users.registered v1", "send-verification-email: ok",
		"GET /users/verify -> 200", "  └ users.verified v1", "send-welcome-email: ok"} {
		i := strings.Index(out[at:], w)
		if i < 0 {
			t.Fatalf("trace lacks %q after position %d:\n%s", w, at, out)
		}
		at += i + len(w)
	}

	if welcome := st.smtp.to("grace@example.com"); len(welcome) != 2 || welcome[1].CorrelationID != cid {
		t.Errorf("welcome email: %+v, want a second email with correlation id %s", welcome, cid)
	}
	// Every log line about the user carries the flow's id.
	verified := 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["user_id"] != userID {
			continue
		}
		if rec["msg"] == "user verified" {
			verified++
		}
		if rec[correlation.LogKeyID] != cid {
			t.Errorf("log line %q has correlation id %v, want %s", rec["msg"], rec[correlation.LogKeyID], cid)
		}
	}
	if verified != 1 {
		t.Errorf("%d \"user verified\" lines for user %s, want 1", verified, userID)
	}
}
