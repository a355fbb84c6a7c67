package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestPprofListener checks that the debug listener serves the pprof index and stops
// with its context.
func TestPprofListener(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	h, err := listenPprof("127.0.0.1:0", logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runPprof(ctx, h, logger)
	}()
	resp, err := http.Get("http://" + h.Addr() + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Errorf("GET /debug/pprof/: %d %.200s", resp.StatusCode, body)
	}
	cancel()
	<-done
	if _, err := http.Get("http://" + h.Addr() + "/debug/pprof/"); err == nil {
		t.Error("pprof listener still serving after its context ended")
	}
}
