package registration_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/examples/registration"
	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/examples/registration/setup"
	"github.com/millrace/millrace/internal/testenv"
)

func TestBaseURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8081":           "http://localhost:8081",
		"0.0.0.0:8081":    "http://localhost:8081",
		"[::]:8081":       "http://localhost:8081",
		"127.0.0.1:18181": "http://127.0.0.1:18181",
		"[::1]:18181":     "http://[::1]:18181",
		"users.svc:80":    "http://users.svc:80",
	} {
		if got := setup.BaseURL(addr); got != want {
			t.Errorf("BaseURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

// outbox keeps the emails sent through it.
type outbox struct {
	mu     sync.Mutex
	emails []mail.Message
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.emails = append(o.emails, m)
	return nil
}

func (o *outbox) sent() []mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]mail.Message(nil), o.emails...)
}

// TestBuildLinksPointAtTheServedAddress runs the users service and the mailer in one
// process (as the demo does) on 127.0.0.1:0 without a public URL: the verification
// link points at the port actually bound, opening it activates the account, and the
// log says which base the links use.
func TestBuildLinksPointAtTheServedAddress(t *testing.T) {
	t.Setenv("MILLRACE_SQLITE_PATH", filepath.Join(t.TempDir(), "users.db")) // read by the local profile
	topo, err := config.Load("local")
	if err != nil {
		t.Fatal(err)
	}
	s, err := registration.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if s.PublicURL != "" {
		t.Fatalf("PublicURL defaults to %q; want it derived from the served address", s.PublicURL)
	}
	s.HTTPAddr, s.Argon2 = "127.0.0.1:0", account.Argon2Params{Time: 1, Memory: 64, Threads: 1}
	var logs testenv.Buffer
	sent := &outbox{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app, cleanup, err := registration.Build(ctx, topo, s, sent, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	base := "http://" + app.Users.HTTP.Addr()
	if strings.HasSuffix(base, ":8081") || strings.HasSuffix(base, ":0") {
		t.Fatalf("listening on %s; the test needs a port of its own", base)
	}
	if want := "public_url=" + base; !strings.Contains(logs.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, logs.String())
	}
	resp, err := http.Post(base+"/users", "application/json",
		bytes.NewBufferString(`{"email":"ada@example.com","name":"Ada","password":"correct horse"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d", resp.StatusCode)
	}
	testenv.Eventually(t, "the verification email", 30*time.Second, func() bool { return len(sent.sent()) > 0 })
	link := sent.sent()[0].Link
	if !strings.HasPrefix(link, base+"/users/verify?token=") {
		t.Fatalf("link %q does not point at the served address %s", link, base)
	}
	resp, err = http.Get(link)
	if err != nil {
		t.Fatalf("open the link: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %d, want 200", link, resp.StatusCode)
	}
}

// TestBuildRejectsABadPublicURL checks that a public URL that cannot start a link is
// refused at start rather than mailed.
func TestBuildRejectsABadPublicURL(t *testing.T) {
	t.Setenv("MILLRACE_SQLITE_PATH", filepath.Join(t.TempDir(), "users.db"))
	topo, err := config.Load("local")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"localhost:8081", "ftp://example.com", "http://example.com/?x=1"} {
		s, _ := registration.FromEnv(func(k string) string {
			return map[string]string{"MILLRACE_PUBLIC_URL": u, "MILLRACE_HTTP_ADDR": "127.0.0.1:0"}[k]
		})
		_, cleanup, err := registration.Build(context.Background(), topo, s, &outbox{}, slog.New(slog.DiscardHandler))
		if err == nil {
			cleanup()
			t.Errorf("public URL %q accepted", u)
		} else if !strings.Contains(err.Error(), "MILLRACE_PUBLIC_URL") {
			t.Errorf("public URL %q: error %q does not name MILLRACE_PUBLIC_URL", u, err)
		}
	}
}
