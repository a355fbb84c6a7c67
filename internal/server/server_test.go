package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/testenv"
)

func TestHTTPFinishesRequestsInFlightOnShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	h, err := Listen(HTTPConfig{Addr: "127.0.0.1:0", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "done")
	})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- h.Run(ctx) }()

	body := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + h.Addr() + "/")
		if err != nil {
			body <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body <- string(b)
	}()
	<-started
	cancel() // shutdown begins with a request in flight
	// Shutdown closes the listener at once: new connections are refused while the
	// request in flight still runs.
	testenv.Eventually(t, "new connections refused once shutdown began", 5*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", h.Addr(), time.Second)
		if err == nil {
			c.Close()
		}
		return errors.Is(err, syscall.ECONNREFUSED)
	})
	close(release)
	if got := <-body; got != "done" {
		t.Errorf("request in flight got %q, want %q", got, "done")
	}
	if err := <-runErr; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestRunStopsAllWhenOneFails(t *testing.T) {
	boom := errors.New("boom")
	var stopped atomic.Bool
	err := Run(context.Background(),
		func(ctx context.Context) error { return boom },
		func(ctx context.Context) error { <-ctx.Done(); stopped.Store(true); return nil },
	)
	if !errors.Is(err, boom) {
		t.Fatalf("Run returned %v, want %v", err, boom)
	}
	if !stopped.Load() {
		t.Error("the other runner was not stopped")
	}
}

func TestCloseReleasesTheAddressOfAServerNeverRun(t *testing.T) {
	h, err := Listen(HTTPConfig{Addr: "127.0.0.1:0", Handler: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	addr := h.Addr()
	if err := h.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	again, err := Listen(HTTPConfig{Addr: addr, Handler: http.NotFoundHandler()})
	if err != nil {
		t.Fatalf("address still taken after Close: %v", err)
	}
	_ = again.Close()
}
