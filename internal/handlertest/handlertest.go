package handlertest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/logging"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/router/routertest"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// Source is the ce_source of the events a Stack publishes.
const Source = "handlertest"

// Stack is a router running handlers on a topology, and an event bus publishing on
// the same routed bus.
type Stack struct {
	// Topology is the loaded profile with every topic under Namespace.
	Topology *topology.Topology
	// Namespace is put before every topic of the profile ("t1a2b3c4d."), so the test's
	// queues, streams and tables are its own and a running service never sees its
	// messages; they are deleted when the test ends.
	Namespace string
	// Events publishes typed events to their topics.
	Events *event.Publisher
}

// Start loads the topology MILLRACE_TOPOLOGY names (default config.DefaultProfile),
// moves every topic under a namespace of the test's own, checks that the servers of its
// transports answer, opens the bus and runs a router with handlers until the test ends. It returns once the handlers consume, so every
// event published from then on reaches them. The local profile's SQLite database is
// put in a temporary folder (Start sets MILLRACE_SQLITE_PATH, so the test must not
// be parallel).
func Start(tb testing.TB, handlers ...router.Handler) *Stack {
	tb.Helper()
	tb.Setenv("MILLRACE_SQLITE_PATH", filepath.Join(tb.TempDir(), "millrace.db"))
	src := config.Source(os.Getenv("MILLRACE_TOPOLOGY"))
	profile, err := config.Load(src)
	if err != nil {
		tb.Fatalf("load topology: %v", err)
	}
	RequireTransports(tb, profile)
	ns := namespace(tb)
	topo := profile.WithTopicPrefix(ns)
	w := &testWriter{tb: tb}
	tb.Cleanup(w.stop) // runs last: the transports may log while they close
	logger := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := bus.Open(topo, bus.Options{Logger: logging.Watermill(logger)})
	if err != nil {
		tb.Fatalf("open bus on %s: %v", topo.File, err)
	}
	events, err := event.NewPublisher(b.Publisher(), event.PublisherConfig{Source: Source,
		Topic: func(ev event.Event) string { return ns + ev.EventName() }})
	if err != nil {
		tb.Fatal(errors.Join(err, b.Close()))
	}
	// Cleanups run last first: the router stops, the bus closes, then the namespace's
	// queues and streams are deleted.
	tb.Cleanup(func() { dropNamespace(tb, topo) })
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("close bus: %v", err)
		}
	})
	routertest.Start(tb, router.Config{Topology: topo, Bus: b, Logger: logger, Handlers: handlers})
	return &Stack{Topology: topo, Namespace: ns, Events: events}
}

// namespace returns a new topic prefix.
func namespace(tb testing.TB) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "t" + hex.EncodeToString(b) + "."
}

// dropNamespace deletes the queues, streams and tables of topo's topics.
func dropNamespace(tb testing.TB, topo *topology.Topology) {
	groups := map[string][]string{}
	for _, h := range topo.Handlers {
		for _, topic := range h.Topics {
			groups[topic] = append(groups[topic], h.Policy.Group)
			if p := h.PoisonTopicFor(topic); p != "" {
				groups[p] = append(groups[p], router.PoisonStoreGroup)
			}
		}
	}
	for _, tp := range topo.Topics {
		if tp.IsPattern() {
			continue
		}
		if tr, ok := topo.Transport(tp.Transport); ok {
			testenv.DropTopic(tb, tr, tp.Name, groups[tp.Name]...)
		}
	}
}

// RequireTransports checks that the server of every transport of topo answers: the
// test is skipped (or fails with CI=true) naming the one that does not. In-memory
// and SQLite transports need nothing.
func RequireTransports(tb testing.TB, topo *topology.Topology) {
	tb.Helper()
	for _, tr := range topo.Transports {
		service, addr, err := transport.ServerOf(tr)
		if err != nil {
			tb.Fatalf("transport %s: %v", tr.Name, err)
		}
		if addr != "" {
			testenv.RequireTCP(tb, service+" (transport "+tr.Name+")", addr)
		}
	}
}

// testWriter sends the router's warnings and errors to the test log until the test
// ends; a goroutine of a transport that logs later is not the test's business.
type testWriter struct {
	tb      testing.TB
	mu      sync.Mutex
	stopped bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
}
