package bus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/transport"
	_ "github.com/millrace/millrace/internal/transport/builtin"
	"github.com/millrace/millrace/topology"
)

// Options configure Open.
type Options struct {
	// Logger receives the transports' logs; nil discards them.
	Logger watermill.LoggerAdapter
	// Instance identifies this process for broadcast topics. Empty: hostname-pid-random,
	// so two processes (or two Buses in one process) never share broadcast queues.
	Instance string
	// PublisherDecorators wrap every underlying per-transport publisher the bus
	// creates, first innermost: metrics, tracing. Optional. A decorator must not read
	// or write a message after passing it on: the in-memory transport may deliver an
	// event's message itself to a consumer (see metadata.Released).
	PublisherDecorators []message.PublisherDecorator
}

// Bus connects a topology's transports and routes publish and subscribe by topic.
type Bus struct {
	topo       *topology.Topology
	instance   string
	transports map[string]transport.Transport
	names      []string // transport names, sorted, for stable Ping and Close order
	decorators []message.PublisherDecorator

	pubOnce sync.Once
	pub     *routedPublisher

	closeOnce sync.Once
	closeErr  error
}

// Open opens every transport a topic of topo refers to, as its transport or its outbox.
// All failures are reported together; on failure nothing stays open.
func Open(topo *topology.Topology, opts Options) (*Bus, error) {
	if topo == nil {
		return nil, errors.New("open bus: nil topology")
	}
	if opts.Logger == nil {
		opts.Logger = watermill.NopLogger{}
	}
	if opts.Instance == "" {
		opts.Instance = defaultInstance()
	}

	used := make(map[string]bool)
	for _, t := range topo.Topics {
		used[t.Transport] = true
		if t.Outbox != "" {
			used[t.Outbox] = true
		}
	}
	names := make([]string, 0, len(used))
	for name := range used {
		names = append(names, name)
	}
	sort.Strings(names)

	b := &Bus{
		topo:       topo,
		instance:   opts.Instance,
		transports: make(map[string]transport.Transport, len(names)),
		decorators: opts.PublisherDecorators,
	}
	var errs []error
	for i, d := range opts.PublisherDecorators {
		if d == nil {
			errs = append(errs, fmt.Errorf("publisher decorator %d is nil", i))
		}
	}
	for _, name := range names {
		cfg, ok := topo.Transports[name]
		if !ok {
			errs = append(errs, fmt.Errorf("transport %q: not declared", name))
			continue
		}
		t, err := transport.New(cfg, opts.Logger)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		b.transports[name] = t
		b.names = append(b.names, name)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(fmt.Errorf("open bus: %w", err), b.Close())
	}
	return b, nil
}

// defaultInstance returns hostname-pid-random.
func defaultInstance() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	var r [4]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails on supported platforms
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(r[:]))
}

// Topology returns the topology the bus routes by.
func (b *Bus) Topology() *topology.Topology { return b.topo }

// Instance returns the name broadcast subscriptions of this bus are keyed by.
func (b *Bus) Instance() string { return b.instance }

// Publisher returns the bus's shared routed publisher. Its Close is a no-op: the bus
// closes it in Close, so handing it to several components is safe.
func (b *Bus) Publisher() message.Publisher {
	b.pubOnce.Do(func() { b.pub = newPublisher(b) })
	return sharedPublisher{b.pub}
}

// NewPublisher returns a routed publisher the caller owns and closes.
func (b *Bus) NewPublisher() (message.Publisher, error) {
	return newPublisher(b), nil
}

// NewSubscriber returns a routed subscriber consuming as consumer group group; the caller
// closes it. Each topic is consumed with the delivery mode the topology gives it.
func (b *Bus) NewSubscriber(group string) (message.Subscriber, error) {
	if group == "" {
		return nil, errors.New("new subscriber: empty consumer group")
	}
	return newSubscriber(b, group), nil
}

// Ping checks every transport and names each one that fails.
func (b *Bus) Ping(ctx context.Context) error {
	var errs []error
	for _, name := range b.names {
		if err := b.transports[name].Ping(ctx); err != nil {
			errs = append(errs, fmt.Errorf("ping transport %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// PingTransport checks the transport named name.
func (b *Bus) PingTransport(ctx context.Context, name string) error {
	t, ok := b.transports[name]
	if !ok {
		return fmt.Errorf("ping transport %q: not open", name)
	}
	if err := t.Ping(ctx); err != nil {
		return fmt.Errorf("ping transport %q: %w", name, err)
	}
	return nil
}

// Close closes the shared publisher and every transport. Publishers and subscribers the
// caller owns should be closed first. Close is idempotent.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		var errs []error
		b.pubOnce.Do(func() {}) // no shared publisher may be created after Close
		if b.pub != nil {
			if err := b.pub.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		for _, name := range b.names {
			if err := b.transports[name].Close(); err != nil {
				errs = append(errs, fmt.Errorf("close transport %q: %w", name, err))
			}
		}
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

// route resolves topic to its topology entry and transport.
func (b *Bus) route(topic string) (*topology.Topic, transport.Transport, error) {
	t, err := b.topo.Resolve(topic)
	if err != nil {
		return nil, nil, err
	}
	tr, ok := b.transports[t.Transport]
	if !ok {
		return nil, nil, fmt.Errorf("topic %q: transport %q is not open", topic, t.Transport)
	}
	return t, tr, nil
}
