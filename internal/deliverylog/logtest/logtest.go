// Package logtest runs a small message flow through a router that records it in a
// delivery log, for the tests of the log, of `millrace trace` and of the HTTP handler.
package logtest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/topology"
)

// Events of the flow: handler "handle-a" gets A (failing its first attempt) and
// publishes B; "handle-b" publishes C; "handle-c" succeeds.
type (
	A struct{ N int }
	B struct{ N int }
	C struct{ N int }
)

// EventName implements event.Event.
func (A) EventName() string { return "flow.a" }

// EventVersion implements event.Event.
func (A) EventVersion() int { return 1 }

// EventName implements event.Event.
func (B) EventName() string { return "flow.b" }

// EventVersion implements event.Event.
func (B) EventVersion() int { return 1 }

// EventName implements event.Event.
func (C) EventName() string { return "flow.c" }

// EventVersion implements event.Event.
func (C) EventVersion() int { return 2 }

// Topology returns a topology whose flow topics are in memory and whose trace store
// is the SQLite file log.db in dir.
func Topology(tb testing.TB, dir string) (*topology.Topology, string) {
	tb.Helper()
	src := fmt.Sprintf(`version: 1
transports:
  mem: {kind: gochannel}
  db: {kind: sql, dialect: sqlite, dsn: %q}
topics:
  flow.a: {transport: mem}
  flow.b: {transport: mem}
  flow.c: {transport: mem}
defaults:
  retry: {max_attempts: 3, initial_interval: 5ms, max_interval: 5ms}
handlers:
  handle-a: {topic: flow.a}
  handle-b: {topic: flow.b}
  handle-c: {topic: flow.c}
trace: {store: db}
`, filepath.Join(dir, "log.db"))
	file := filepath.Join(dir, "topology.yaml")
	topo, err := topology.ParseWithEnv(file, []byte(src), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return topo, src
}

// Flow runs the flow once on topo with a new correlation id, waits until handle-c
// has handled C, closes the router and the log (writing every row) and returns the
// correlation id.
func Flow(tb testing.TB, topo *topology.Topology) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	dl, err := deliverylog.Open(ctx, deliverylog.Config{Topology: topo, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	defer func() {
		if err := dl.Close(); err != nil {
			tb.Error(err)
		}
	}()
	b, err := bus.Open(topo, bus.Options{PublisherDecorators: []message.PublisherDecorator{dl.DecoratePublisher}})
	if err != nil {
		tb.Fatal(err)
	}
	defer func() {
		if err := b.Close(); err != nil {
			tb.Error(err)
		}
	}()
	events, err := event.NewPublisher(b.Publisher(), event.PublisherConfig{Source: "logtest"})
	if err != nil {
		tb.Fatal(err)
	}
	var failedA atomic.Bool
	done := make(chan struct{})
	handlers := []router.Handler{
		event.NewHandler("handle-a", func(ctx context.Context, ev *A) error {
			if !failedA.Swap(true) {
				return errors.New("first attempt fails")
			}
			return events.Publish(ctx, B{N: ev.N})
		}),
		event.NewHandler("handle-b", func(ctx context.Context, ev *B) error {
			return events.Publish(ctx, C{N: ev.N})
		}),
		event.NewHandler("handle-c", func(context.Context, *C) error {
			close(done)
			return nil
		}),
	}
	r, err := router.New(router.Config{Topology: topo, Bus: b, Handlers: handlers, Instruments: []router.Instrument{dl}, CloseTimeout: 10 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(ctx) }()
	select {
	case <-r.Running():
	case err := <-runErr:
		tb.Fatalf("router stopped: %v", err)
	case <-ctx.Done():
		tb.Fatal("router did not start")
	}

	id := correlation.New()
	if err := events.Publish(correlation.WithID(ctx, id), A{N: 1}); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		tb.Fatal("handle-c did not get C within a minute")
	}
	// Close waits for the deliveries in flight, so every outcome is recorded.
	if err := r.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := <-runErr; err != nil {
		tb.Fatal(err)
	}
	return id
}
