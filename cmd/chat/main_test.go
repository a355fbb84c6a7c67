package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/examples/chat"
)

// TestRunServesAndStops runs the binary's run function on the local profile: it serves
// the page and its icon, health, readiness and metrics, and exits 0 when its context
// ends.
func TestRunServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := map[string]string{"MILLRACE_TOPOLOGY": "local", "MILLRACE_HTTP_ADDR": "127.0.0.1:0"}
	t.Setenv("MILLRACE_SQLITE_PATH", filepath.Join(t.TempDir(), "chat.db")) // read by the local profile
	addrs := make(chan string, 1)
	code := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		code <- run(ctx, nil, func(k string) string { return env[k] }, &stderr, func(a *chat.App) { addrs <- a.Addr() })
	}()
	var addr string
	select {
	case addr = <-addrs:
	case c := <-code:
		t.Fatalf("run exited with %d before listening: %s", c, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("not listening")
	}
	for path, want := range map[string]string{
		"/healthz":     "",
		"/readyz":      `"transport:memory":"ok"`,
		"/metrics":     "process_start_time_seconds",
		"/":            "<!doctype html>",
		"/favicon.svg": "<svg",
	} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
		if !strings.Contains(strings.ToLower(string(body)), strings.ToLower(want)) {
			t.Errorf("%s lacks %q:\n%.400s", path, want, body)
		}
	}
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("exit code %d after shutdown, want 0: %s", c, stderr.String())
	}
}

func TestRunUsageErrors(t *testing.T) {
	none := func(string) string { return "" }
	var stderr bytes.Buffer
	if c := run(context.Background(), []string{"-no-such-flag"}, none, &stderr, nil); c != 2 {
		t.Errorf("unknown flag: exit %d, want 2", c)
	}
	if c := run(context.Background(), []string{"-log-level", "loud"}, none, &stderr, nil); c != 2 {
		t.Errorf("bad log level: exit %d, want 2", c)
	}
	if c := run(context.Background(), []string{"-topology", "nope", "-http-addr", "127.0.0.1:0"}, none, &stderr, nil); c != 1 {
		t.Errorf("unknown profile: exit %d, want 1", c)
	}
}
