package bus_test

import (
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/internal/transport/memory"
	"github.com/millrace/millrace/topology"
)

// kindGate is an in-memory transport kind whose publishes wait for gateOpen, standing
// in for a broker publish that waits on a lock.
const kindGate topology.Kind = "gate"

var (
	gateOpen    = make(chan struct{})
	gateReached = make(chan struct{}, 1)
)

type gateTransport struct{ transport.Transport }

func (gateTransport) Kind() topology.Kind { return kindGate }

func (g gateTransport) NewPublisher() (message.Publisher, error) {
	pub, err := g.Transport.NewPublisher()
	return gatePublisher{pub}, err
}

type gatePublisher struct{ message.Publisher }

func (p gatePublisher) Publish(topic string, msgs ...*message.Message) error {
	select {
	case gateReached <- struct{}{}:
	default:
	}
	<-gateOpen
	return p.Publisher.Publish(topic, msgs...)
}

func init() {
	topology.RegisterKind(kindGate, topology.KindSpec{Decode: func(*topology.Settings) any { return struct{}{} }})
	transport.Register(transport.Kind{
		Name:      kindGate,
		InProcess: true,
		Open: func(cfg *topology.Transport, logger watermill.LoggerAdapter) (transport.Transport, error) {
			return gateTransport{memory.New(cfg.Name, logger)}, nil
		},
	})
}

// TestPublishBlockedOnOneTransportDoesNotBlockAnother checks that a publish in flight
// that waits (as an insert waits for a lock held by the transaction of the message
// being handled) does not keep another goroutine from publishing through a transport
// the bus has not published to yet. A route that forwards from one transport to another
// depends on it.
func TestPublishBlockedOnOneTransportDoesNotBlockAnother(t *testing.T) {
	topo, err := topology.Parse("gate.yaml", []byte(`version: 1
transports:
  slow: {kind: gate}
  mem: {kind: gochannel}
topics:
  slow.topic: {transport: slow}
  mem.topic: {transport: mem}
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := bus.Open(topo, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	blocked := make(chan error, 1)
	go func() { blocked <- b.Publisher().Publish("slow.topic", message.NewMessage(watermill.NewUUID(), nil)) }()
	// The first publish is in flight, waiting, before the second one starts.
	select {
	case <-gateReached:
	case <-time.After(10 * time.Second):
		t.Fatal("the gated publish never started")
	}
	done := make(chan error, 1)
	go func() { done <- b.Publisher().Publish("mem.topic", message.NewMessage(watermill.NewUUID(), nil)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("publish to the other transport: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("a publish to another transport waited for the blocked publish")
	}
	close(gateOpen)
	if err := <-blocked; err != nil {
		t.Errorf("blocked publish, once released: %v", err)
	}
}
