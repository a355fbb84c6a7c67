package main

import (
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/millrace/millrace/examples/registration/mail/mailtest"

	"github.com/millrace/millrace/internal/testenv"

	"github.com/millrace/millrace/examples/registration/mailer"
	"github.com/millrace/millrace/examples/registration/setup"
)

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-no-such-flag"}, {"-log-level", "loud"}, {"-token-ttl", "-1h"}} {
		var stderr testenv.Buffer
		env := map[string]string{}
		if args[0] == "-token-ttl" {
			env["MILLRACE_TOKEN_TTL"], args = "-1h", nil
		}
		if code := run(context.Background(), args, func(k string) string { return env[k] }, &stderr, nil); code != 2 {
			t.Errorf("%v %v: exit %d, want 2; stderr %s", args, env, code, stderr.String())
		}
	}
}

func TestBadSenderFails(t *testing.T) {
	var stderr testenv.Buffer
	t.Setenv("MILLRACE_SQLITE_PATH", filepath.Join(t.TempDir(), "m.db")) // read by the local profile
	env := map[string]string{"MILLRACE_SMTP_ADDR": "no-port"}
	code := run(context.Background(), nil, func(k string) string { return env[k] }, &stderr, nil)
	if code != 1 || !strings.Contains(stderr.String(), "smtp address") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr.String())
	}
}

// startSMTP runs an SMTP server (emersion/go-smtp) on 127.0.0.1:0 that accepts every
// email, and returns its address.
func startSMTP(t *testing.T) string {
	t.Helper()
	return mailtest.Serve(t, smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return session{}, nil }))
}

type session struct{}

func (session) Reset()                               {}
func (session) Logout() error                        { return nil }
func (session) Mail(string, *smtp.MailOptions) error { return nil }
func (session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (session) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }

// startMailer runs the mailer on the local profile with its SQLite database in a
// temporary folder, its HTTP server on 127.0.0.1:0 and the SMTP server smtpAddr, and
// returns its base URL, its log and a function that stops it and returns its exit
// code.
func startMailer(t *testing.T, smtpAddr string) (string, *testenv.Buffer, func() int) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("MILLRACE_SQLITE_PATH", filepath.Join(dir, "m.db")) // read by the local profile
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *mailer.Mailer, 1)
	done := make(chan int, 1)
	stderr := &testenv.Buffer{}
	getenv := func(k string) string {
		switch k {
		case "MILLRACE_HTTP_ADDR":
			return "127.0.0.1:0"
		case "MILLRACE_SMTP_ADDR":
			return smtpAddr
		}
		return os.Getenv(k)
	}
	go func() { done <- run(ctx, nil, getenv, stderr, func(m *mailer.Mailer) { ready <- m }) }()
	select {
	case m := <-ready:
		if _, err := os.Stat(filepath.Join(dir, "m.db")); err != nil {
			t.Errorf("users database not created in the folder the profile names: %v", err)
		}
		var (
			once sync.Once
			code = -1
		)
		stop := func() int {
			once.Do(func() {
				cancel()
				select {
				case code = <-done:
				case <-time.After(30 * time.Second):
					t.Error("no shutdown")
				}
			})
			return code
		}
		t.Cleanup(func() { stop() })
		return "http://" + m.HTTP.Addr(), stderr, stop
	case code := <-done:
		cancel()
		t.Fatalf("exit %d before running:\n%s", code, stderr.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("mailer never ran")
	}
	return "", nil, nil
}

// TestRunsAndShutsDown starts the mailer on the local profile: it serves /healthz,
// /readyz (naming both transports, the users database and the SMTP server) and
// /metrics, and cancelling the context (SIGTERM) ends run with exit 0 and closes the
// HTTP server. Its verification links point at the users service's default address,
// not at the mailer's own, and the log says so.
func TestRunsAndShutsDown(t *testing.T) {
	base, stderr, stop := startMailer(t, startSMTP(t))
	if want := "public_url=http://localhost:8081"; !strings.Contains(stderr.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, stderr.String())
	}
	if strings.Contains(stderr.String(), "public_url="+base) {
		t.Errorf("verification links point at the mailer's own address %s", base)
	}
	for path, want := range map[string][]string{
		"/healthz": nil,
		"/readyz":  {`"status":"ready"`, `"transport:memory":"ok"`, `"transport:sqlite":"ok"`, `"database:users":"ok"`, `"smtp":"ok"`},
		"/metrics": {"process_start_time_seconds"},
	} {
		testenv.ExpectGet(t, base+path, http.StatusOK, want...)
	}
	testenv.ExpectGet(t, base+"/users", http.StatusNotFound)
	if code := stop(); code != 0 {
		t.Errorf("exit %d after shutdown, want 0:\n%s", code, stderr.String())
	}
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("HTTP server still serving after shutdown")
	}
}

// TestNotReadyWithoutSMTP starts the mailer with an SMTP address nothing listens on:
// it logs a warning naming the SMTP server and /readyz answers 503 naming the "smtp"
// check, while the other checks pass.
func TestNotReadyWithoutSMTP(t *testing.T) {
	base, stderr, _ := startMailer(t, "127.0.0.1:1")
	testenv.Eventually(t, "a warning about the SMTP server in the log", 30*time.Second, func() bool {
		return strings.Contains(stderr.String(), "smtp server unusable")
	})
	if !strings.Contains(stderr.String(), "127.0.0.1:1") {
		t.Errorf("the warning does not name the SMTP address:\n%s", stderr.String())
	}
	testenv.ExpectGet(t, base+"/readyz", http.StatusServiceUnavailable, `"status":"not ready"`, `"failing":["smtp"]`, `"database:users":"ok"`)
}

// TestDefaultHTTPAddr checks that the mailer's HTTP server defaults to
// setup.DefaultMailerHTTPAddr, not the users service's address.
func TestDefaultHTTPAddr(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	s, _, err := settings(fs, nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if s.HTTPAddr != setup.DefaultMailerHTTPAddr {
		t.Errorf("HTTPAddr %q, want %q", s.HTTPAddr, setup.DefaultMailerHTTPAddr)
	}
}
