package router_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/testenv"
)

// orderEvent is a CloudEvents message of type typ with payload {"n": n}.
func orderEvent(typ string, n int) *message.Message {
	m := message.NewMessage(watermill.NewUUID(), fmt.Appendf(nil, `{"n": %d, "items": [{"sku": "a"}, {"sku": "s%d"}]}`, n, n))
	m.Metadata.Set(metadata.KeySpecVersion, metadata.SpecVersion)
	m.Metadata.Set(metadata.KeyType, typ)
	m.Metadata.Set(metadata.KeySource, "orders")
	m.Metadata.Set(metadata.KeyCorrelationID, "corr-"+m.UUID)
	return m
}

// outcomes records the delivery outcomes of every message, by handler and message id.
type outcomes struct {
	mu  sync.Mutex
	got map[string][]router.Outcome // "handler/uuid" -> outcomes
}

func (o *outcomes) StartDelivery(ctx context.Context, reg router.Registration, msg *message.Message) (context.Context, func(router.Outcome)) {
	return ctx, func(out router.Outcome) {
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.got == nil {
			o.got = map[string][]router.Outcome{}
		}
		k := reg.Handler + "/" + msg.UUID
		o.got[k] = append(o.got[k], out)
	}
}

func (o *outcomes) StartAttempt(ctx context.Context, _ router.Registration, _ *message.Message, _ int) (context.Context, func(router.Outcome, error)) {
	return ctx, func(router.Outcome, error) {}
}

func (o *outcomes) of(handler, id string) []router.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]router.Outcome(nil), o.got[handler+"/"+id]...)
}

// testFilter: a handler with a filter is called only for the messages it matches; the
// others are acked once with the outcome filtered: none is delivered again or poisoned.
// One filter reads attributes only, the other the payload, including a field inside an
// array of objects.
func testFilter(t *testing.T, h harness) {
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.orders: {transport: tr}
handlers:
  by-type-{s}:
    topic: t{s}.orders
    filter: {type: [Order Created, {prefix: "Order Comp"}], source: [orders]}
  by-data-{s}:
    topic: t{s}.orders
    filter:
      data:
        n: [{numeric: [">=", 5, "<", 100]}]
        items: {sku: [s7, s8, s9, s100]}
`)
	b := h.open(t, topo, "i-"+s)
	topic := "t" + s + ".orders"
	poison := probe(t, b, "poison-reader-"+s, topic+".poison")
	rec := &outcomes{}
	var mu sync.Mutex
	called := map[string][]string{}
	handler := func(name string) router.Handler {
		return fnHandler{name + "-" + s, func(m *message.Message) error {
			mu.Lock()
			defer mu.Unlock()
			called[name] = append(called[name], m.UUID)
			return nil
		}}
	}
	start(t, router.Config{Topology: topo, Bus: b, Instruments: []router.Instrument{rec},
		Handlers: []router.Handler{handler("by-type"), handler("by-data")}})

	types := []string{"Order Created", "Order Completed", "Order Shipped", "order created"}
	var msgs []*message.Message
	wantType, wantData := map[string]bool{}, map[string]bool{}
	for i := range 12 {
		m := orderEvent(types[i%len(types)], i)
		msgs = append(msgs, m)
		if i%len(types) < 2 {
			wantType[m.UUID] = true
		}
		if i >= 7 && i <= 9 {
			wantData[m.UUID] = true
		}
		publish(t, b, topic, m)
	}
	// Every message ends its delivery to both handlers, called or filtered.
	testenv.Eventually(t, "every message delivered to both handlers", wait, func() bool {
		for _, m := range msgs {
			if len(rec.of("by-type-"+s, m.UUID)) == 0 || len(rec.of("by-data-"+s, m.UUID)) == 0 {
				return false
			}
		}
		return true
	})
	for name, want := range map[string]map[string]bool{"by-type": wantType, "by-data": wantData} {
		for _, m := range msgs {
			got := rec.of(name+"-"+s, m.UUID)
			outcome := router.OutcomeFiltered
			if want[m.UUID] {
				outcome = router.OutcomeOK
			}
			if len(got) != 1 || got[0] != outcome {
				t.Errorf("%s, message %s (%s, %s): outcomes %v, want [%s]", name, m.UUID, m.Metadata.Get(metadata.KeyType), m.Payload, got, outcome)
			}
		}
		mu.Lock()
		calls := called[name]
		mu.Unlock()
		if len(calls) != len(want) {
			t.Errorf("%s called %d times, want %d", name, len(calls), len(want))
		}
		for _, id := range calls {
			if !want[id] {
				t.Errorf("%s called for %s, which its filter does not match", name, id)
			}
		}
	}
	select {
	case m := <-poison:
		t.Errorf("message %s poisoned: %s", m.UUID, m.Payload)
	default:
	}
}

// testRouteAcrossTransports: a route forwards the messages its filter matches from a
// topic of the transport under test to the in-process transport, and a second route
// forwards those back to the transport under test: each matching message arrives once,
// with its payload, event id and correlation id, and causation naming the message it
// was forwarded from.
func testRouteAcrossTransports(t *testing.T, h harness) {
	s := suffix(t)
	topo := h.parseWith(t, s, "  mem: {kind: gochannel}\n", `topics:
  t{s}.src: {transport: tr}
  t{s}.mid: {transport: mem}
  t{s}.dst: {transport: tr}
routes:
  out-{s}: {from: t{s}.src, to: t{s}.mid, filter: {type: [Order Created]}}
  back-{s}: {from: t{s}.mid, to: t{s}.dst, filter: {data: {n: [{numeric: ["<", 6]}]}}}
`)
	b := h.open(t, topo, "i-"+s)
	dst := probe(t, b, "reader-"+s, "t"+s+".dst")
	start(t, router.Config{Topology: topo, Bus: b, Routes: router.AllRoutes(topo)})

	want := map[string]*message.Message{} // forwarded id -> original
	for i := range 10 {
		typ := "Order Created"
		if i%2 == 1 {
			typ = "Order Shipped"
		}
		m := orderEvent(typ, i)
		if typ == "Order Created" && i < 6 {
			mid := router.ForwardedID("out-"+s, m.UUID)
			want[router.ForwardedID("back-"+s, mid)] = m
		}
		publish(t, b, "t"+s+".src", m)
	}
	// A last matching message marks the end: the routes keep order within a topic on
	// every transport here, so nothing matching arrives after it.
	last := orderEvent("Order Created", 0)
	lastID := router.ForwardedID("back-"+s, router.ForwardedID("out-"+s, last.UUID))
	publish(t, b, "t"+s+".src", last)

	got := map[string]int{}
	for {
		m := receive(t, dst, "forwarded message")
		got[m.UUID]++
		if m.UUID == lastID {
			break
		}
		orig, ok := want[m.UUID]
		if !ok {
			t.Errorf("forwarded %s (%s, %s), which a filter does not match", m.UUID, m.Metadata.Get(metadata.KeyType), m.Payload)
			continue
		}
		if string(m.Payload) != string(orig.Payload) {
			t.Errorf("payload %s, want %s", m.Payload, orig.Payload)
		}
		if got := m.Metadata.Get(metadata.KeyID); got != orig.UUID {
			t.Errorf("event id %q, want the original %q", got, orig.UUID)
		}
		if got := m.Metadata.Get(metadata.KeyCorrelationID); got != "corr-"+orig.UUID {
			t.Errorf("correlation id %q, want %q", got, "corr-"+orig.UUID)
		}
		if got, want := m.Metadata.Get(metadata.KeyCausationID), router.ForwardedID("out-"+s, orig.UUID); got != want {
			t.Errorf("causation id %q, want the id of the message forwarded (%q)", got, want)
		}
		if m.Metadata.Get(router.AttemptsKey) != "" {
			t.Errorf("forwarded message carries the attempt count %q", m.Metadata.Get(router.AttemptsKey))
		}
	}
	for id, orig := range want {
		if got[id] != 1 {
			t.Errorf("message %s (%s) forwarded %d times, want once", orig.UUID, orig.Payload, got[id])
		}
	}
}

// testRouteSurvivesRestart: messages published while a route's process stops and a new
// one starts are all forwarded: none is lost (at least once; duplicates carry the same
// forwarded id, so a processed-message record drops them).
func testRouteSurvivesRestart(t *testing.T, h harness) {
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.src: {transport: tr}
  t{s}.dst: {transport: tr}
routes:
  fwd-{s}: {from: t{s}.src, to: t{s}.dst, filter: {source: [orders]}}
`)
	producer := h.open(t, topo, "producer-"+s)
	dst := probe(t, producer, "reader-"+s, "t"+s+".dst")

	const n = 40
	want := map[string]bool{}
	msgs := make([]*message.Message, n)
	for i := range msgs {
		msgs[i] = orderEvent("Order Created", i)
		want[router.ForwardedID("fwd-"+s, msgs[i].UUID)] = true
	}
	first := h.open(t, topo, "route-1-"+s)
	r1 := start(t, router.Config{Topology: topo, Bus: first, Routes: []string{"fwd-" + s}})
	for _, m := range msgs[:n/2] {
		publish(t, producer, "t"+s+".src", m)
	}
	got := map[string]int{}
	for len(got) < n/4 {
		m := receive(t, dst, "forwarded message")
		got[m.UUID]++
	}
	// The route's process stops with messages still to forward; more arrive while none
	// runs; a new process takes over.
	if err := r1.Close(); err != nil {
		t.Fatalf("close the first route process: %v", err)
	}
	for _, m := range msgs[n/2:] {
		publish(t, producer, "t"+s+".src", m)
	}
	second := h.open(t, topo, "route-2-"+s)
	start(t, router.Config{Topology: topo, Bus: second, Routes: []string{"fwd-" + s}})
	for len(got) < n {
		m := receive(t, dst, "forwarded message")
		if !want[m.UUID] {
			t.Fatalf("forwarded unknown message %s", m.UUID)
		}
		got[m.UUID]++
	}
	dups := 0
	for _, c := range got {
		dups += c - 1
	}
	t.Logf("%d messages forwarded across a restart of the route, %d duplicates", n, dups)
}
