package router_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/testenv"
)

// Events of the suite; their topics are "t<suffix>.<name>".
type stepA struct {
	N int `json:"n"`
}

func (stepA) EventName() string { return "step.a" }
func (stepA) EventVersion() int { return 1 }

type stepB struct {
	N int `json:"n"`
}

func (stepB) EventName() string { return "step.b" }
func (stepB) EventVersion() int { return 1 }

type stepC struct {
	N int `json:"n"`
}

func (stepC) EventName() string { return "step.c" }
func (stepC) EventVersion() int { return 1 }

func topicOf(s string, ev event.Event) string { return "t" + s + "." + ev.EventName() }

func eventBus(t *testing.T, b router.PubSub, s string) *event.Publisher {
	t.Helper()
	eb, err := event.NewPublisher(b.Publisher(), event.PublisherConfig{
		Source: "router-test",
		Topic:  func(ev event.Event) string { return topicOf(s, ev) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return eb
}

// suiteCase is one behaviour, run on every transport.
type suiteCase struct {
	name string
	run  func(t *testing.T, h harness)
	// crossProcess cases need a broker that two processes share.
	crossProcess bool
	// routed cases need the topology-routed bus (topics on two transports).
	routed bool
	// publishesWhileHandling cases publish (an event or a poisoned message) to the
	// transport while one of its messages is being handled.
	publishesWhileHandling bool
}

var suiteCases = []suiteCase{
	{name: "delivery", run: testDelivery},
	{name: "retry-then-success", run: testRetryThenSuccess},
	{name: "permanent-poisoned", run: testPermanentPoisoned, publishesWhileHandling: true},
	{name: "panic-poisoned", run: testPanicPoisoned, publishesWhileHandling: true},
	{name: "invalid-json-poisoned", run: testInvalidJSONPoisoned, publishesWhileHandling: true},
	{name: "poison-kept-without-reader", run: testPoisonKeptWithoutReader, publishesWhileHandling: true},
	{name: "kept-for-a-consumer-not-started", run: testKeptForConsumerNotStarted, crossProcess: true},
	{name: "correlation-two-deep", run: testCorrelationTwoDeep, publishesWhileHandling: true},
	{name: "filter", run: testFilter},
	{name: "route-across-transports", run: testRouteAcrossTransports, routed: true},
	{name: "route-survives-restart", run: testRouteSurvivesRestart, routed: true, crossProcess: true, publishesWhileHandling: true},
}

// assertPoisoned checks the poison metadata of m.
func assertPoisoned(t *testing.T, m *message.Message, topic, handler, attempts, reason string) {
	t.Helper()
	md := m.Metadata
	if got := md.Get(middleware.PoisonedTopicKey); got != topic {
		t.Errorf("%s = %q, want %q", middleware.PoisonedTopicKey, got, topic)
	}
	if got := md.Get(middleware.PoisonedHandlerKey); got != handler {
		t.Errorf("%s = %q, want %q", middleware.PoisonedHandlerKey, got, handler)
	}
	if got := md.Get(router.AttemptsKey); got != attempts {
		t.Errorf("%s = %q, want %q", router.AttemptsKey, got, attempts)
	}
	if got := md.Get(middleware.ReasonForPoisonedKey); !strings.Contains(got, reason) {
		t.Errorf("%s = %q, want it to contain %q", middleware.ReasonForPoisonedKey, got, reason)
	}
}

// testDelivery: on a shared topic each group gets each message once, its handlers
// competing across instances; on a broadcast topic every instance of every group gets
// every message.
func testDelivery(t *testing.T, h harness) {
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.shared: {transport: tr}
  t{s}.bcast:  {transport: tr, delivery: broadcast}
handlers:
  s1-{s}: {topic: t{s}.shared, group: g1-{s}, concurrency: 2}
  s2-{s}: {topic: t{s}.shared, group: g2-{s}}
  b1-{s}: {topic: t{s}.bcast, group: g1-{s}}
  b2-{s}: {topic: t{s}.bcast, group: g2-{s}}
`)
	type key struct{ instance, handler string }
	var mu sync.Mutex
	seen := map[key][]string{}
	handlers := func(instance string) []router.Handler {
		var hs []router.Handler
		for _, name := range []string{"s1", "s2", "b1", "b2"} {
			k := key{instance, name}
			hs = append(hs, fnHandler{name + "-" + s, func(m *message.Message) error {
				mu.Lock()
				defer mu.Unlock()
				seen[k] = append(seen[k], string(m.Payload))
				return nil
			}})
		}
		return hs
	}
	instances := make([]string, h.instances)
	var first router.PubSub
	for i := range instances {
		instances[i] = fmt.Sprintf("i%d-%s", i, s)
		b := h.open(t, topo, instances[i])
		if first == nil {
			first = b
		}
		start(t, router.Config{Topology: topo, Bus: b, Handlers: handlers(instances[i])})
	}

	const n = 6
	for i := range n {
		publish(t, first, "t"+s+".shared", message.NewMessage(watermill.NewUUID(), []byte(fmt.Sprintf("s%d", i))))
		publish(t, first, "t"+s+".bcast", message.NewMessage(watermill.NewUUID(), []byte(fmt.Sprintf("b%d", i))))
	}
	count := func(handler string) (total int, perInstance []int, distinct int) {
		mu.Lock()
		defer mu.Unlock()
		ids := map[string]bool{}
		for _, in := range instances {
			got := seen[key{in, handler}]
			total += len(got)
			perInstance = append(perInstance, len(got))
			for _, id := range got {
				ids[id] = true
			}
		}
		return total, perInstance, len(ids)
	}
	for _, bh := range []string{"b1", "b2"} {
		testenv.Eventually(t, "broadcast "+bh+" on every instance", wait, func() bool {
			_, per, _ := count(bh)
			for _, c := range per {
				if c < n {
					return false
				}
			}
			return true
		})
	}
	for _, sh := range []string{"s1", "s2"} {
		testenv.Eventually(t, "shared "+sh+" in its group", wait, func() bool { total, _, _ := count(sh); return total >= n })
	}
	for _, bh := range []string{"b1", "b2"} {
		if _, per, distinct := count(bh); distinct != n {
			t.Errorf("broadcast %s: %d distinct messages per instance counts %v, want %d each", bh, distinct, per, n)
		} else {
			for i, c := range per {
				if c != n {
					t.Errorf("broadcast %s: instance %s got %d messages, want %d", bh, instances[i], c, n)
				}
			}
		}
	}
	for _, sh := range []string{"s1", "s2"} {
		if total, per, distinct := count(sh); total != n || distinct != n {
			t.Errorf("shared %s: %d deliveries (per instance %v) of %d distinct messages, want %d once each", sh, total, per, distinct, n)
		}
	}
}

// testRetryThenSuccess: a handler failing transiently twice is retried and the message
// acked once: the body runs three times, the message is not delivered again, nothing
// is poisoned.
func testRetryThenSuccess(t *testing.T, h harness) {
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.step.a: {transport: tr}
handlers:
  flaky-{s}: {topic: t{s}.step.a}
`)
	b := h.open(t, topo, "i-"+s)
	topic := topicOf(s, stepA{})
	poison := probe(t, b, "poison-reader-"+s, topic+".poison")

	var mu sync.Mutex
	calls := map[int]int{}
	handler := event.NewHandler("flaky-"+s, func(_ context.Context, ev *stepA) error {
		mu.Lock()
		defer mu.Unlock()
		calls[ev.N]++
		if ev.N == 1 && calls[ev.N] <= 2 {
			return fmt.Errorf("transient failure %d", calls[ev.N])
		}
		return nil
	})
	start(t, router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{handler}})

	eb := eventBus(t, b, s)
	if err := eb.Publish(context.Background(), stepA{N: 1}); err != nil {
		t.Fatal(err)
	}
	count := func(n int) int { mu.Lock(); defer mu.Unlock(); return calls[n] }
	testenv.Eventually(t, "flaky message handled 3 times", wait, func() bool { return count(1) >= 3 })
	// A message handled after the first one settled gives a redelivery of the first
	// time to show up.
	if err := eb.Publish(context.Background(), stepA{N: 2}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "second message handled", wait, func() bool { return count(2) == 1 })

	// Nothing was poisoned: a marker published now is the first poison message seen.
	publish(t, b, topic+".poison", message.NewMessage("marker-"+s, []byte(`{}`)))
	if m := receive(t, poison, "poison marker"); m.UUID != "marker-"+s {
		t.Errorf("poison topic got %s (%s) before the marker", m.UUID, m.Metadata.Get(middleware.ReasonForPoisonedKey))
	}
	mu.Lock()
	defer mu.Unlock()
	if calls[1] != 3 || calls[2] != 1 {
		t.Errorf("after settling: calls %v, want message 1 three times and message 2 once", calls)
	}
}

// testPermanentPoisoned: a permanent error goes to the poison topic on the first
// attempt with reason, original topic, handler and attempts=1.
func testPermanentPoisoned(t *testing.T, h harness) {
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.step.a: {transport: tr}
handlers:
  strict-{s}: {topic: t{s}.step.a}
`)
	b := h.open(t, topo, "i-"+s)
	topic := topicOf(s, stepA{})
	poison := probe(t, b, "poison-reader-"+s, topic+".poison")
	var calls atomic.Int32
	handler := event.NewHandler("strict-"+s, func(_ context.Context, ev *stepA) error {
		calls.Add(1)
		return router.Permanent(fmt.Errorf("order %d is invalid", ev.N))
	})
	start(t, router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{handler}})

	if err := eventBus(t, b, s).Publish(correlation.WithID(context.Background(), "edge-"+s), stepA{N: 5}); err != nil {
		t.Fatal(err)
	}
	m := receive(t, poison, "poisoned message")
	assertPoisoned(t, m, topic, "strict-"+s, "1", "order 5 is invalid")
	if got := calls.Load(); got != 1 {
		t.Errorf("handler ran %d times, want 1", got)
	}
	if event.CorrelationID(m) != "edge-"+s || event.MessageType(m) != "step.a.v1" {
		t.Errorf("poisoned copy lost its attributes: correlation %q type %q", event.CorrelationID(m), event.MessageType(m))
	}
	var ev stepA
	if err := json.Unmarshal(m.Payload, &ev); err != nil || ev.N != 5 {
		t.Errorf("poisoned payload %s: %v", m.Payload, err)
	}
}

// testPoisonKeptWithoutReader: a message poisoned while nothing reads the poison topic
// is kept, and the poison store group reads it afterwards.
func testPoisonKeptWithoutReader(t *testing.T, h harness) {
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.step.a: {transport: tr}
handlers:
  doomed-{s}: {topic: t{s}.step.a}
`)
	b := h.open(t, topo, "i-"+s)
	topic := topicOf(s, stepA{})
	var calls atomic.Int32
	handler := event.NewHandler("doomed-"+s, func(context.Context, *stepA) error {
		calls.Add(1)
		return router.Permanent(fmt.Errorf("never"))
	})
	start(t, router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{handler}})
	if err := eventBus(t, b, s).Publish(context.Background(), stepA{N: 9}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "handler called", wait, func() bool { return calls.Load() == 1 })

	poison := probe(t, b, router.PoisonStoreGroup, topic+".poison")
	m := receive(t, poison, "poisoned message kept for the poison store")
	assertPoisoned(t, m, topic, "doomed-"+s, "1", "never")
}

// testKeptForConsumerNotStarted: a producer's router declares the subscriptions of the
// handlers other binaries run, so a message published before such a consumer ever
// started reaches it once it does. Needs a broker shared by two processes.
func testKeptForConsumerNotStarted(t *testing.T, h harness) {
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.step.a: {transport: tr}
handlers:
  here-{s}:  {topic: t{s}.step.a}
  later-{s}: {topic: t{s}.step.a}
`)
	producer := h.open(t, topo, "producer-"+s)
	noop := fnHandler{"here-" + s, func(*message.Message) error { return nil }}
	start(t, router.Config{Topology: topo, Bus: producer, Handlers: []router.Handler{noop}})
	if err := eventBus(t, producer, s).Publish(context.Background(), stepA{N: 7}); err != nil {
		t.Fatal(err)
	}

	consumer := h.open(t, topo, "consumer-"+s)
	got := make(chan int, 1)
	later := event.NewHandler("later-"+s, func(_ context.Context, ev *stepA) error {
		got <- ev.N
		return nil
	})
	start(t, router.Config{Topology: topo, Bus: consumer, Handlers: []router.Handler{later}})
	select {
	case n := <-got:
		if n != 7 {
			t.Errorf("late consumer got event %d, want 7", n)
		}
	case <-time.After(wait):
		t.Fatal("the message published before its consumer started never reached it")
	}
}

// testPanicPoisoned: a panic is recovered, retried and then poisoned.
func testPanicPoisoned(t *testing.T, h harness) {
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.step.a: {transport: tr}
handlers:
  panicky-{s}: {topic: t{s}.step.a}
`)
	b := h.open(t, topo, "i-"+s)
	topic := topicOf(s, stepA{})
	poison := probe(t, b, "poison-reader-"+s, topic+".poison")
	var calls atomic.Int32
	handler := event.NewHandler("panicky-"+s, func(context.Context, *stepA) error {
		calls.Add(1)
		panic("nil map somewhere")
	})
	start(t, router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{handler}})

	if err := eventBus(t, b, s).Publish(context.Background(), stepA{N: 1}); err != nil {
		t.Fatal(err)
	}
	m := receive(t, poison, "poisoned message")
	assertPoisoned(t, m, topic, "panicky-"+s, "3", "nil map somewhere")
	if got := calls.Load(); got != 3 {
		t.Errorf("handler ran %d times, want 3 (max_attempts)", got)
	}
}

// testInvalidJSONPoisoned: a payload that does not decode is poisoned on the first
// attempt and the next valid message is still handled.
func testInvalidJSONPoisoned(t *testing.T, h harness) {
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.step.a: {transport: tr}
handlers:
  decoder-{s}: {topic: t{s}.step.a}
`)
	b := h.open(t, topo, "i-"+s)
	topic := topicOf(s, stepA{})
	poison := probe(t, b, "poison-reader-"+s, topic+".poison")
	handled := make(chan int, 10)
	handler := event.NewHandler("decoder-"+s, func(_ context.Context, ev *stepA) error {
		handled <- ev.N
		return nil
	})
	start(t, router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{handler}})

	bad := message.NewMessage(watermill.NewUUID(), []byte(`{"n": oops`))
	bad.Metadata.Set(metadata.KeyType, event.Type(stepA{}))
	publish(t, b, topic, bad)
	if err := eventBus(t, b, s).Publish(context.Background(), stepA{N: 7}); err != nil {
		t.Fatal(err)
	}

	m := receive(t, poison, "poisoned message")
	if m.UUID != bad.UUID {
		t.Errorf("poisoned %s, want the invalid message %s", m.UUID, bad.UUID)
	}
	assertPoisoned(t, m, topic, "decoder-"+s, "1", "decode payload")
	select {
	case n := <-handled:
		if n != 7 {
			t.Errorf("handled n=%d, want 7", n)
		}
	case m := <-poison:
		t.Errorf("valid message poisoned too: %s", m.Metadata.Get(middleware.ReasonForPoisonedKey))
	case <-time.After(wait):
		t.Fatalf("valid message not handled within %s", wait)
	}
}

// testCorrelationTwoDeep: an edge correlation id survives two hops: A's handler
// publishes B, B's handler publishes C; C has the edge correlation id and B's id as
// causation, and logs inside handlers carry both ids.
func testCorrelationTwoDeep(t *testing.T, h harness) {
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.step.a: {transport: tr}
  t{s}.step.b: {transport: tr}
  t{s}.step.c: {transport: tr}
handlers:
  on-a-{s}: {topic: t{s}.step.a}
  on-b-{s}: {topic: t{s}.step.b}
`)
	b := h.open(t, topo, "i-"+s)
	out := probe(t, b, "c-reader-"+s, topicOf(s, stepC{}))
	eb := eventBus(t, b, s)
	var logs testenv.Buffer
	logger := slog.New(correlation.NewLogHandler(slog.NewJSONHandler(&logs, nil)))

	var aID, bID, bCause atomic.Value
	onA := event.NewHandler("on-a-"+s, func(ctx context.Context, ev *stepA) error {
		aID.Store(cqrs.OriginalMessageFromCtx(ctx).UUID)
		return eb.Publish(ctx, stepB{N: ev.N + 1})
	})
	onB := event.NewHandler("on-b-"+s, func(ctx context.Context, ev *stepB) error {
		orig := cqrs.OriginalMessageFromCtx(ctx)
		bID.Store(orig.UUID)
		bCause.Store(event.CausationID(orig))
		logger.InfoContext(ctx, "handling b")
		return eb.Publish(ctx, stepC{N: ev.N + 1})
	})
	start(t, router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{onA, onB}})

	edge := "edge-" + s
	if err := eb.Publish(correlation.WithID(context.Background(), edge), stepA{N: 1}); err != nil {
		t.Fatal(err)
	}
	c := receive(t, out, "step.c message")
	if got := event.CorrelationID(c); got != edge {
		t.Errorf("C correlation_id = %q, want %q", got, edge)
	}
	if got, want := event.CausationID(c), bID.Load(); got != want {
		t.Errorf("C causation_id = %q, want B's id %v", got, want)
	}
	if got, want := bCause.Load(), aID.Load(); got != want {
		t.Errorf("B causation_id = %v, want A's id %v", got, want)
	}
	var ev stepC
	if err := json.Unmarshal(c.Payload, &ev); err != nil || ev.N != 3 {
		t.Errorf("C payload %s: %v", c.Payload, err)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &line); err != nil {
		t.Fatalf("log line %q: %v", logs.String(), err)
	}
	if line["correlation_id"] != edge || line["causation_id"] != bID.Load() {
		t.Errorf("handler log %v lacks the flow ids", line)
	}
}
