package bus_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

// memoryTopology has a shared topic "orders.created", a broadcast pattern "chat.*" and
// nothing else, all in memory.
func memoryTopology(t testing.TB) *topology.Topology {
	return &topology.Topology{
		File: "bus_test",
		Transports: map[string]*topology.Transport{
			"mem": transporttest.Parse(t, "mem", "{kind: gochannel}"),
		},
		Topics: []*topology.Topic{
			{Name: "orders.created", Transport: "mem", Delivery: topology.Shared},
			{Name: "chat.*", Transport: "mem", Delivery: topology.Broadcast},
		},
	}
}

func TestPublishUndeclaredTopic(t *testing.T) {
	b := mustOpen(t, memoryTopology(t), watermill.NopLogger{})
	pub, err := b.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	err = pub.Publish("payments.failed", message.NewMessage(watermill.NewUUID(), nil))
	if !errors.Is(err, topology.ErrUndeclaredTopic) {
		t.Errorf("publish to an undeclared topic: err = %v, want one wrapping ErrUndeclaredTopic", err)
	}
	sub, err := b.NewSubscriber("g")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := sub.Subscribe(context.Background(), "payments.failed"); !errors.Is(err, topology.ErrUndeclaredTopic) {
		t.Errorf("subscribe to an undeclared topic: err = %v, want one wrapping ErrUndeclaredTopic", err)
	}
}

func TestPublisherAndSubscriberClose(t *testing.T) {
	b := mustOpen(t, memoryTopology(t), watermill.NopLogger{})
	pub, err := b.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	sub, err := b.NewSubscriber("g")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := sub.Subscribe(context.Background(), "orders.created")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := pub.Close(); err != nil {
			t.Fatalf("publisher close #%d: %v", i+1, err)
		}
	}
	if err := pub.Publish("orders.created", message.NewMessage(watermill.NewUUID(), nil)); err == nil {
		t.Error("publish after close succeeded")
	}
	for i := 0; i < 2; i++ {
		if err := sub.Close(); err != nil {
			t.Fatalf("subscriber close #%d: %v", i+1, err)
		}
	}
	if _, open := <-msgs; open {
		t.Error("message channel still open after subscriber close")
	}
	// The shared publisher outlives callers' Close calls.
	shared := b.Publisher()
	if err := shared.Close(); err != nil {
		t.Fatal(err)
	}
	if err := shared.Publish("orders.created", message.NewMessage(watermill.NewUUID(), nil)); err != nil {
		t.Errorf("shared publisher after its no-op Close: %v", err)
	}
}

// TestBroadcastSameInstanceCompetes checks that two subscribers of one group on one bus
// (one instance) share the instance's copy of a broadcast message: it arrives once.
// Per-instance copies are covered by internal/transport's TestDelivery.
func TestBroadcastSameInstanceCompetes(t *testing.T) {
	topo := memoryTopology(t)
	b := mustOpen(t, topo, watermill.NopLogger{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	subA, _ := b.NewSubscriber("chat")
	subB, _ := b.NewSubscriber("chat")
	defer subA.Close()
	defer subB.Close()
	a, err := subA.Subscribe(ctx, "chat.room1")
	if err != nil {
		t.Fatal(err)
	}
	bb, err := subB.Subscribe(ctx, "chat.room1")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Publisher().Publish("chat.room1", message.NewMessage("m1", nil)); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-a:
		m.Ack()
	case m := <-bb:
		m.Ack()
	case <-ctx.Done():
		t.Fatal("broadcast message not delivered to the instance")
	}
	select {
	case m := <-a:
		t.Errorf("same instance received %s twice", m.UUID)
	case m := <-bb:
		t.Errorf("same instance received %s twice", m.UUID)
	case <-time.After(100 * time.Millisecond):
	}
	if b.Instance() == "" {
		t.Error("empty default instance")
	}
}

func TestOpenReportsEveryBadTransport(t *testing.T) {
	topo := &topology.Topology{
		Transports: map[string]*topology.Transport{
			"a": {Name: "a", Kind: "amqp"},
			"r": {Name: "r", Kind: "redisstream"},
		},
		Topics: []*topology.Topic{
			{Name: "x", Transport: "a"},
			{Name: "y", Transport: "r"},
			{Name: "z", Transport: "missing"},
		},
	}
	_, err := bus.Open(topo, bus.Options{})
	if err == nil {
		t.Fatal("Open succeeded with broken transports")
	}
	for _, name := range []string{`"a"`, `"r"`, `"missing"`} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name transport %s: %v", name, err)
		}
	}
}

func TestPingNamesFailingTransport(t *testing.T) {
	topo := &topology.Topology{
		Transports: map[string]*topology.Transport{
			"mem":  transporttest.Parse(t, "mem", "{kind: gochannel}"),
			"dead": transporttest.Parse(t, "dead", `{kind: redisstream, addr: "127.0.0.1:1"}`),
		},
		Topics: []*topology.Topic{{Name: "a", Transport: "mem"}, {Name: "b", Transport: "dead"}},
	}
	b := mustOpen(t, topo, watermill.NopLogger{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := b.Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), `"dead"`) || strings.Contains(err.Error(), `"mem"`) {
		t.Errorf("Ping = %v, want an error naming only transport \"dead\"", err)
	}
}
