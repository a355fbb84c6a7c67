package deliverylog_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/internal/deliverylog/logtest"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// TestRouteAndFilterInTree runs an event past a route and a filtered handler and checks
// the tree: the route's outcome holds the copy it forwarded to the other topic (with
// the copy's own handler under it), and the filtered handler shows why it did nothing.
func TestRouteAndFilterInTree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	topo, err := topology.ParseWithEnv(filepath.Join(dir, "topology.yaml"), fmt.Appendf(nil, `version: 1
transports:
  mem: {kind: gochannel}
  db: {kind: sql, dialect: sqlite, dsn: %q}
topics:
  flow.a: {transport: mem}
  flow.copies: {transport: mem}
handlers:
  skip-a: {topic: flow.a, filter: {source: [elsewhere]}}
  handle-copy: {topic: flow.copies}
routes:
  copy-a: {from: flow.a, filter: {source: [logtest], data: {N: [{numeric: [">", 0]}]}}, to: flow.copies}
trace: {store: db}
`, filepath.Join(dir, "log.db")), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dl, err := deliverylog.Open(ctx, deliverylog.Config{Topology: topo, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dl.Close() })
	b, err := bus.Open(topo, bus.Options{PublisherDecorators: []message.PublisherDecorator{dl.DecoratePublisher}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	events, err := event.NewPublisher(b.Publisher(), event.PublisherConfig{Source: "logtest",
		Topic: func(event.Event) string { return "flow.a" }})
	if err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	handlers := []router.Handler{
		event.NewHandler("skip-a", func(context.Context, *logtest.A) error {
			t.Error("the filtered handler was called")
			return nil
		}),
		event.NewHandler("handle-copy", func(context.Context, *logtest.A) error {
			close(copied)
			return nil
		}),
	}
	r, err := router.New(router.Config{Topology: topo, Bus: b, Handlers: handlers, Routes: router.AllRoutes(topo),
		Instruments: []router.Instrument{dl}, CloseTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(ctx) }()
	<-r.Running()
	id := correlation.New()
	if err := events.Publish(correlation.WithID(ctx, id), logtest.A{N: 1}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-copied:
	case <-ctx.Done():
		t.Fatal("the forwarded copy never reached its handler")
	}
	// The router runs until every delivery has ended (the filtered handler may get the
	// event after the copy was handled) and the log, which flushes in the background,
	// holds every row of the flow.
	var tree *deliverylog.Tree
	testenv.Eventually(t, "the whole flow in the delivery log", 30*time.Second, func() bool {
		tree, err = dl.Tree(ctx, id)
		return err == nil && len(tree.Messages) == 1 && len(tree.Messages[0].Outcomes) == 2 &&
			len(tree.Messages[0].Children) == 1 && len(tree.Messages[0].Children[0].Outcomes) == 1
	})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	if err := deliverylog.WriteText(&buf, tree, time.UTC); err != nil {
		t.Fatal(err)
	}
	text := clock.ReplaceAllString(strings.TrimSuffix(buf.String(), "\n"), "T")
	for _, want := range []string{
		"flow.a v1 (topic flow.a via mem)",
		"  └ skip-a: filtered (its filter did not match; not called)",
		"  └ copy-a: ok\n    └ flow.a v1 (topic flow.copies via mem)",
		"      └ handle-copy: ok",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("tree lacks %q:\n%s", want, text)
		}
	}
	orig, cp := tree.Messages[0], tree.Messages[0].Children[0]
	if cp.ID != router.ForwardedID("copy-a", orig.ID) || cp.CausationID != orig.ID || cp.PublishedBy != "copy-a" {
		t.Errorf("copy id %s causation %s published by %q; want %s, %s, copy-a", cp.ID, cp.CausationID, cp.PublishedBy,
			router.ForwardedID("copy-a", orig.ID), orig.ID)
	}
}
