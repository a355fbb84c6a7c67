package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

var (
	_ message.Publisher            = (*routedPublisher)(nil)
	_ message.Publisher            = sharedPublisher{}
	_ message.Subscriber           = (*routedSubscriber)(nil)
	_ message.SubscribeInitializer = (*routedSubscriber)(nil)
)

var errClosed = errors.New("closed")

// routedPublisher publishes each topic through the transport the topology gives it,
// creating one underlying publisher per transport on first use.
type routedPublisher struct {
	bus *Bus

	// mu is held for reading by every publish in flight and for writing by Close, so
	// Close waits for them.
	mu     sync.RWMutex
	closed bool

	// pubsMu guards pubs. It is never held while publishing: a publish that blocks (on
	// a lock its own consumer's transaction holds, say) must not keep another
	// goroutine from creating the publisher of another transport.
	pubsMu sync.RWMutex
	pubs   map[string]message.Publisher // by transport name
}

func newPublisher(b *Bus) *routedPublisher {
	return &routedPublisher{bus: b, pubs: make(map[string]message.Publisher, len(b.transports))}
}

// Publish resolves topic and publishes msgs through its transport. An undeclared topic
// is an error wrapping topology.ErrUndeclaredTopic, and nothing is published.
func (p *routedPublisher) Publish(topic string, msgs ...*message.Message) error {
	_, tr, err := p.bus.route(topic)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	p.mu.RLock()
	defer p.mu.RUnlock() // held while publishing, so Close waits for publishes in flight
	if p.closed {
		return fmt.Errorf("publish to %q: publisher %w", topic, errClosed)
	}
	p.pubsMu.RLock()
	pub := p.pubs[tr.Name()]
	p.pubsMu.RUnlock()
	if pub == nil {
		if pub, err = p.create(tr); err != nil {
			return fmt.Errorf("publish to %q: %w", topic, err)
		}
	}
	if err := pub.Publish(topic, msgs...); err != nil {
		return fmt.Errorf("publish to %q via transport %q: %w", topic, tr.Name(), err)
	}
	return nil
}

// create returns the publisher of tr, making it if no other goroutine did. The caller
// holds mu for reading, so Close cannot run meanwhile.
func (p *routedPublisher) create(tr transport.Transport) (message.Publisher, error) {
	p.pubsMu.Lock()
	defer p.pubsMu.Unlock()
	if pub := p.pubs[tr.Name()]; pub != nil {
		return pub, nil
	}
	pub, err := tr.NewPublisher()
	if err != nil {
		return nil, fmt.Errorf("new publisher on transport %q: %w", tr.Name(), err)
	}
	for _, decorate := range p.bus.decorators {
		decorated, err := decorate(pub)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("decorate publisher on transport %q: %w", tr.Name(), err), pub.Close())
		}
		pub = decorated
	}
	p.pubs[tr.Name()] = pub
	return pub, nil
}

// Close closes the underlying publishers this publisher created, once the publishes in
// flight have returned. It is idempotent, and a Publish after Close fails.
func (p *routedPublisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	p.pubsMu.Lock()
	defer p.pubsMu.Unlock()
	var errs []error
	for name, pub := range p.pubs {
		if err := pub.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close publisher on transport %q: %w", name, err))
		}
	}
	p.pubs = nil
	return errors.Join(errs...)
}

// sharedPublisher is the bus-owned publisher handed out by Bus.Publisher: its Close does
// nothing, and the bus closes the publisher behind it.
type sharedPublisher struct{ p *routedPublisher }

func (s sharedPublisher) Publish(topic string, msgs ...*message.Message) error {
	if s.p == nil {
		return fmt.Errorf("publish to %q: bus %w", topic, errClosed)
	}
	return s.p.Publish(topic, msgs...)
}

// Close is a no-op: Bus.Close closes the shared publisher.
func (sharedPublisher) Close() error { return nil }

// subKey identifies one underlying subscriber of a routed subscriber.
type subKey struct {
	transport string
	delivery  topology.Delivery
}

// routedSubscriber subscribes to each topic through the transport and with the delivery
// mode the topology gives it, creating one underlying subscriber per (transport,
// delivery) on first use.
type routedSubscriber struct {
	bus   *Bus
	group string

	mu     sync.RWMutex
	subs   map[subKey]message.Subscriber
	closed bool
}

func newSubscriber(b *Bus, group string) *routedSubscriber {
	return &routedSubscriber{bus: b, group: group, subs: make(map[subKey]message.Subscriber)}
}

// Subscribe resolves topic and subscribes to it on its transport.
func (s *routedSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	sub, err := s.underlying(topic)
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	msgs, err := sub.Subscribe(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("subscribe to %q: %w", topic, err)
	}
	return msgs, nil
}

// SubscribeInitialize prepares topic for consumption by this subscriber's group (binds
// the queue, creates the consumer group or table) when the transport needs it, so
// messages published before Subscribe are kept.
func (s *routedSubscriber) SubscribeInitialize(topic string) error {
	sub, err := s.underlying(topic)
	if err != nil {
		return fmt.Errorf("subscribe initialize: %w", err)
	}
	si, ok := sub.(message.SubscribeInitializer)
	if !ok {
		return nil
	}
	if err := si.SubscribeInitialize(topic); err != nil {
		return fmt.Errorf("subscribe initialize %q: %w", topic, err)
	}
	return nil
}

// underlying returns the transport subscriber for topic, creating it on first use.
func (s *routedSubscriber) underlying(topic string) (message.Subscriber, error) {
	t, tr, err := s.bus.route(topic)
	if err != nil {
		return nil, err
	}
	key := subKey{transport: tr.Name(), delivery: t.Delivery}
	if key.delivery == "" {
		key.delivery = topology.Shared
	}

	s.mu.RLock()
	sub, closed := s.subs[key], s.closed
	s.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("subscriber %w", errClosed)
	}
	if sub != nil {
		return sub, nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("subscriber %w", errClosed)
	}
	if sub := s.subs[key]; sub != nil {
		return sub, nil
	}
	sub, err = tr.NewSubscriber(transport.SubscriberOptions{
		Group:    s.group,
		Delivery: key.delivery,
		Instance: s.bus.instance,
	})
	if err != nil {
		return nil, fmt.Errorf("new %s subscriber on transport %q: %w", key.delivery, tr.Name(), err)
	}
	s.subs[key] = sub
	return sub, nil
}

// Close closes the underlying subscribers this subscriber created, which closes their
// message channels. It is idempotent.
func (s *routedSubscriber) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for key, sub := range s.subs {
		if err := sub.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s subscriber on transport %q: %w", key.delivery, key.transport, err))
		}
	}
	s.subs = nil
	return errors.Join(errs...)
}
