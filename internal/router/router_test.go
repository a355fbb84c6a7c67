package router_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// goChannelBus is a router.Bus on one Watermill gochannel, without groups: every
// Subscribe gets every message. It counts what the router asks of it.
type goChannelBus struct {
	ps *gochannel.GoChannel

	mu         sync.Mutex
	groups     []string
	subscribes atomic.Int32
	closes     atomic.Int32
}

var _ router.PubSub = (*goChannelBus)(nil)

func newGoChannelBus(t *testing.T) *goChannelBus {
	ps := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, watermill.NopLogger{})
	t.Cleanup(func() { _ = ps.Close() })
	return &goChannelBus{ps: ps}
}

func (b *goChannelBus) Publisher() message.Publisher { return b.ps }

func (b *goChannelBus) NewSubscriber(group string) (message.Subscriber, error) {
	b.mu.Lock()
	b.groups = append(b.groups, group)
	b.mu.Unlock()
	return &countingSubscriber{bus: b}, nil
}

// countingSubscriber shares the bus's gochannel and leaves it open on Close.
type countingSubscriber struct{ bus *goChannelBus }

func (s *countingSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.bus.subscribes.Add(1)
	return s.bus.ps.Subscribe(ctx, topic)
}

func (s *countingSubscriber) Close() error {
	s.bus.closes.Add(1)
	return nil
}

func goChannelHarness(t *testing.T) harness {
	b := newGoChannelBus(t)
	return harness{
		transport: func(testing.TB) string { return `{kind: gochannel}` },
		open:      func(*testing.T, *topology.Topology, string) router.PubSub { return b },
		instances: 1,
	}
}

// TestMiddlewareOnGoChannel runs the suite's middleware cases on a bare gochannel,
// without the topology-routed bus (the delivery case needs consumer groups).
func TestMiddlewareOnGoChannel(t *testing.T) {
	for _, c := range suiteCases {
		if c.name == "delivery" || c.routed {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, goChannelHarness(t))
		})
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("bad input")
	p := router.Permanent(base)
	if !router.IsPermanent(p) || !errors.Is(p, base) || p.Error() != "bad input" {
		t.Errorf("Permanent(base): IsPermanent %v, Is %v, Error %q", router.IsPermanent(p), errors.Is(p, base), p)
	}
	if !router.IsPermanent(fmt.Errorf("handle: %w", p)) {
		t.Error("wrapped permanent error not permanent")
	}
	if router.IsPermanent(base) || router.IsPermanent(nil) {
		t.Error("plain or nil error is permanent")
	}
	if router.Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	if !router.IsPermanent(&event.MessageError{Type: "x", Err: event.ErrUnknownType}) {
		t.Error("event.MessageError is not permanent")
	}
}

func TestNewValidates(t *testing.T) {
	h := goChannelHarness(t)
	topo := h.parse(t, "v", `topics:
  orders: {transport: tr}
handlers:
  known: {topic: orders}
  elsewhere: {topic: orders}
`)
	b := h.open(t, topo, "")
	noop := func(*message.Message) error { return nil }

	_, err := router.New(router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{
		fnHandler{"known", noop}, fnHandler{"ghost", noop}, fnHandler{"phantom", noop},
	}})
	if err == nil {
		t.Fatal("handlers absent from the topology accepted")
	}
	for _, want := range []string{`"ghost"`, `"phantom"`, "test-v.yaml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if _, err := router.New(router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{
		fnHandler{"known", noop}, fnHandler{"known", noop},
	}}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate handler: err = %v", err)
	}
	if _, err := router.New(router.Config{}); err == nil || !strings.Contains(err.Error(), "Topology") || !strings.Contains(err.Error(), "Bus") {
		t.Errorf("empty config: err = %v", err)
	}

	// A topology handler this binary does not run is fine, and logged at debug.
	var logs testenv.Buffer
	r, err := router.New(router.Config{
		Topology: topo, Bus: b, Handlers: []router.Handler{fnHandler{"known", noop}},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close of a router never run: %v", err)
	}
	if !strings.Contains(logs.String(), "handler=elsewhere") {
		t.Errorf("unregistered topology handler not logged:\n%s", logs.String())
	}
}

// TestRegistrations: one subscriber per consumer group (and one for the poison store);
// each handler subscribes concurrency times to each of its topics.
func TestRegistrations(t *testing.T) {
	h := goChannelHarness(t)
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  a{s}.one: {transport: tr}
  a{s}.two: {transport: tr}
  b{s}.one: {transport: tr}
handlers:
  wide-{s}:   {topic: "a{s}.*", group: g-{s}, concurrency: 3}
  narrow-{s}: {topic: b{s}.one, group: g-{s}}
  other-{s}:  {topic: a{s}.one}
`)
	b := newGoChannelBus(t)
	noop := func(*message.Message) error { return nil }
	r := start(t, router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{
		fnHandler{"wide-" + s, noop}, fnHandler{"narrow-" + s, noop}, fnHandler{"other-" + s, noop},
	}})
	b.mu.Lock()
	groups := strings.Join(b.groups, ",")
	b.mu.Unlock()
	if want := "g-" + s + ",other-" + s + "," + router.PoisonStoreGroup; groups != want {
		t.Errorf("subscribers created for groups %s, want %s", groups, want)
	}
	if got := b.subscribes.Load(); got != 3*2+1+1 {
		t.Errorf("%d Subscribe calls, want 8", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := b.closes.Load(); got < 3 {
		t.Errorf("subscribers closed %d times, want each of the 3 closed", got)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestTimeout: an attempt that outlives the policy timeout fails with a deadline error;
// the next attempt gets a fresh context; the message is poisoned after max attempts.
func TestTimeout(t *testing.T) {
	h := goChannelHarness(t)
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.step.a: {transport: tr}
handlers:
  slow-{s}: {topic: t{s}.step.a, timeout: 30ms, retry: {max_attempts: 2}}
`)
	b := h.open(t, topo, "")
	topic := topicOf(s, stepA{})
	poison := probe(t, b, "p", topic+".poison")
	var doneAtStart, calls atomic.Int32
	handler := event.NewHandler("slow-"+s, func(ctx context.Context, _ *stepA) error {
		calls.Add(1)
		if ctx.Err() != nil {
			doneAtStart.Add(1)
		}
		<-ctx.Done()
		return ctx.Err()
	})
	start(t, router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{handler}})
	if err := eventBus(t, b, s).Publish(context.Background(), stepA{}); err != nil {
		t.Fatal(err)
	}
	m := receive(t, poison, "poisoned message")
	assertPoisoned(t, m, topic, "slow-"+s, "2", "deadline exceeded")
	if calls.Load() != 2 || doneAtStart.Load() != 0 {
		t.Errorf("%d attempts, %d started with a done context; want 2 and 0", calls.Load(), doneAtStart.Load())
	}
}

// TestWithoutPoisonQueue: with the poison queue off, a failed message is nacked and
// delivered again.
func TestWithoutPoisonQueue(t *testing.T) {
	h := goChannelHarness(t)
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.step.a: {transport: tr}
handlers:
  once-{s}: {topic: t{s}.step.a, retry: {max_attempts: 1}, poison: {topic: ""}}
`)
	b := h.open(t, topo, "")
	var calls atomic.Int32
	handled := make(chan string, 1)
	handler := event.NewHandler("once-"+s, func(ctx context.Context, _ *stepA) error {
		if calls.Add(1) == 1 {
			return router.Permanent(errors.New("first delivery fails"))
		}
		handled <- "ok"
		return nil
	})
	start(t, router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{handler}})
	if err := eventBus(t, b, s).Publish(context.Background(), stepA{}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "redelivery", wait, func() bool { return len(handled) == 1 })
	if got := calls.Load(); got != 2 {
		t.Errorf("handler ran %d times, want 2 (failed delivery, redelivery)", got)
	}
}
