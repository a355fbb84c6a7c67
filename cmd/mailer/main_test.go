package main

import (
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/testenv"

	"github.com/millrace/millrace/internal/signup"
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

// TestRunsAndShutsDown starts the mailer on the local profile with its SQLite database
// in a temporary folder: it serves /healthz, /readyz (naming both transports and the
// users database) and /metrics, and cancelling the context (SIGTERM) ends run with
// exit 0 and closes the HTTP server.
func TestRunsAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MILLRACE_SQLITE_PATH", filepath.Join(dir, "m.db")) // read by the local profile
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan *signup.Mailer, 1)
	done := make(chan int, 1)
	var stderr testenv.Buffer
	getenv := func(k string) string {
		if k == "MILLRACE_HTTP_ADDR" {
			return "127.0.0.1:0"
		}
		return os.Getenv(k)
	}
	go func() { done <- run(ctx, nil, getenv, &stderr, func(m *signup.Mailer) { ready <- m }) }()
	var base string
	select {
	case m := <-ready:
		base = "http://" + m.HTTP.Addr()
	case code := <-done:
		t.Fatalf("exit %d before running:\n%s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("mailer never ran")
	}
	if _, err := os.Stat(filepath.Join(dir, "m.db")); err != nil {
		t.Errorf("users database not created in the folder the profile names: %v", err)
	}
	for path, want := range map[string][]string{
		"/healthz": nil,
		"/readyz":  {`"status":"ready"`, `"transport:memory":"ok"`, `"transport:sqlite":"ok"`, `"database:users":"ok"`},
		"/metrics": {"process_start_time_seconds"},
	} {
		expectGet(t, base+path, http.StatusOK, want...)
	}
	expectGet(t, base+"/users", http.StatusNotFound)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after shutdown, want 0:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no shutdown")
	}
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("HTTP server still serving after shutdown")
	}
}

// TestDefaultHTTPAddr checks that the mailer's HTTP server defaults to
// signup.DefaultMailerHTTPAddr, not the users service's address.
func TestDefaultHTTPAddr(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	s, err := settings(func(string) string { return "" }, fs)
	if err != nil {
		t.Fatal(err)
	}
	if s.HTTPAddr != signup.DefaultMailerHTTPAddr {
		t.Errorf("HTTPAddr %q, want %q", s.HTTPAddr, signup.DefaultMailerHTTPAddr)
	}
}

// expectGet checks that GET url answers status with a body containing every one of
// want.
func expectGet(t *testing.T, url string, status int, want ...string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Errorf("GET %s: %d, want %d: %.400s", url, resp.StatusCode, status, body)
	}
	for _, w := range want {
		if !strings.Contains(string(body), w) {
			t.Errorf("GET %s lacks %q:\n%.2000s", url, w, body)
		}
	}
}
