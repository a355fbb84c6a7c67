package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/signup"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-no-such-flag"}, {"-log-level", "loud"}, {"-token-ttl", "-1h"}} {
		var stderr syncBuffer
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
	var stderr syncBuffer
	t.Setenv("MILLRACE_SQLITE_PATH", filepath.Join(t.TempDir(), "m.db")) // read by the local profile
	env := map[string]string{"MILLRACE_SMTP_ADDR": "no-port"}
	code := run(context.Background(), nil, func(k string) string { return env[k] }, &stderr, nil)
	if code != 1 || !strings.Contains(stderr.String(), "smtp address") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr.String())
	}
}

// TestRunsAndShutsDown starts the mailer on the local profile with its SQLite database
// in a temporary folder; cancelling the context (SIGTERM) ends run with exit 0.
func TestRunsAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MILLRACE_SQLITE_PATH", filepath.Join(dir, "m.db")) // read by the local profile
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan *signup.Mailer, 1)
	done := make(chan int, 1)
	var stderr syncBuffer
	go func() { done <- run(ctx, nil, os.Getenv, &stderr, func(m *signup.Mailer) { ready <- m }) }()
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("exit %d before running:\n%s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("mailer never ran")
	}
	if _, err := os.Stat(filepath.Join(dir, "m.db")); err != nil {
		t.Errorf("users database not created in the folder the profile names: %v", err)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after shutdown, want 0:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no shutdown")
	}
}
