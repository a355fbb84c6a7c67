package bus_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

// countingPublisher counts the messages published through it by topic.
type countingPublisher struct {
	next message.Publisher
	mu   *sync.Mutex
	seen map[string]int
}

func (p countingPublisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	p.seen[topic] += len(msgs)
	p.mu.Unlock()
	return p.next.Publish(topic, msgs...)
}

func (p countingPublisher) Close() error { return p.next.Close() }

func TestPublisherDecorators(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	var order []string
	decorator := func(name string) message.PublisherDecorator {
		return func(pub message.Publisher) (message.Publisher, error) {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			return countingPublisher{next: pub, mu: &mu, seen: seen}, nil
		}
	}
	b, err := bus.Open(memoryTopology(t), bus.Options{
		PublisherDecorators: []message.PublisherDecorator{decorator("inner"), decorator("outer")},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	if err := b.Publisher().Publish("orders.created", message.NewMessage(watermill.NewUUID(), nil)); err != nil {
		t.Fatal(err)
	}
	own, err := b.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if err := own.Publish("orders.created", message.NewMessage(watermill.NewUUID(), nil)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Each decorator counts both messages: two decorators, two publishers.
	if seen["orders.created"] != 4 {
		t.Errorf("decorated publishes of orders.created = %d, want 4", seen["orders.created"])
	}
	if strings.Join(order, ",") != "inner,outer,inner,outer" {
		t.Errorf("decoration order %v, want inner before outer for each publisher", order)
	}
}

func TestPublisherDecoratorFails(t *testing.T) {
	boom := errors.New("boom")
	b, err := bus.Open(memoryTopology(t), bus.Options{
		PublisherDecorators: []message.PublisherDecorator{func(message.Publisher) (message.Publisher, error) { return nil, boom }},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	err = b.Publisher().Publish("orders.created", message.NewMessage(watermill.NewUUID(), nil))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `"mem"`) {
		t.Errorf("publish with a failing decorator: %v, want boom naming transport \"mem\"", err)
	}
	if _, err := bus.Open(memoryTopology(t), bus.Options{PublisherDecorators: []message.PublisherDecorator{nil}}); err == nil {
		t.Error("Open accepted a nil publisher decorator")
	}
}

func TestPingTransport(t *testing.T) {
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
	if err := b.PingTransport(ctx, "mem"); err != nil {
		t.Errorf("PingTransport(mem) = %v", err)
	}
	if err := b.PingTransport(ctx, "dead"); err == nil || !strings.Contains(err.Error(), `"dead"`) {
		t.Errorf("PingTransport(dead) = %v, want an error naming it", err)
	}
	if err := b.PingTransport(ctx, "nope"); err == nil {
		t.Error("PingTransport of an unknown transport succeeded")
	}
}
