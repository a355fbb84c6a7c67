package memory

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// Kind is the in-memory transport, kind gochannel in the topology file.
var Kind = transport.Kind{
	Name:     Name,
	Settings: spec,
	Open: func(cfg *topology.Transport, logger watermill.LoggerAdapter) (transport.Transport, error) {
		return New(cfg.Name, logger), nil
	},
	InProcess: true,
}

// goChannel is the in-memory transport: a broker living in the process, with the same
// shared/broadcast semantics as the network brokers.
type goChannel struct {
	name   string
	logger watermill.LoggerAdapter
	broker *memBroker
}

// New returns an in-memory transport named name with a broker of its own.
func New(name string, logger watermill.LoggerAdapter) transport.Transport {
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &goChannel{name: name, logger: logger, broker: newMemBroker()}
}

func (g *goChannel) Name() string        { return g.name }
func (g *goChannel) Kind() topology.Kind { return Name }

// Ping always succeeds: there is nothing to reach.
func (g *goChannel) Ping(context.Context) error { return nil }

// Close stops every subscription of the transport and makes further publishes fail.
func (g *goChannel) Close() error {
	g.broker.close()
	return nil
}

func (g *goChannel) NewPublisher() (message.Publisher, error) {
	return &memPublisher{broker: g.broker}, nil
}

func (g *goChannel) NewSubscriber(opts transport.SubscriberOptions) (message.Subscriber, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &memSubscriber{
		broker:  g.broker,
		queue:   opts.Group,
		closing: make(chan struct{}),
		logger:  g.logger,
	}
	if opts.Broadcast() {
		s.queue = opts.Group + "." + opts.Instance
		s.autoDelete = true
	}
	return s, nil
}

// memPublisher publishes to a memBroker.
type memPublisher struct {
	broker *memBroker
	closed atomic.Bool
}

func (p *memPublisher) Publish(topic string, msgs ...*message.Message) error {
	if p.closed.Load() {
		return fmt.Errorf("publish to %q: publisher %w", topic, transport.ErrClosed)
	}
	return p.broker.publish(topic, msgs)
}

// Close is idempotent; it does not affect the broker.
func (p *memPublisher) Close() error {
	p.closed.Store(true)
	return nil
}

// memSubscriber consumes one queue per topic from a memBroker: its group's queue (shared)
// or its group and instance's queue (broadcast).
type memSubscriber struct {
	broker     *memBroker
	queue      string
	autoDelete bool
	logger     watermill.LoggerAdapter

	mu      sync.Mutex
	closed  bool
	closing chan struct{}
	wg      sync.WaitGroup
}

// SubscribeInitialize declares the subscriber's queue on topic, so messages published
// before the first Subscribe are kept for it.
func (s *memSubscriber) SubscribeInitialize(topic string) error {
	if _, err := s.broker.declare(topic, s.queue, s.autoDelete, nil); err != nil {
		return fmt.Errorf("initialize %q: %w", topic, err)
	}
	return nil
}

func (s *memSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("subscribe to %q: subscriber %w", topic, transport.ErrClosed)
	}
	c := &memConsumer{out: make(chan *message.Message)}
	c.ctx, c.cancel = context.WithCancel(ctx)
	q, err := s.broker.declare(topic, s.queue, s.autoDelete, c)
	if err != nil {
		c.cancel()
		return nil, fmt.Errorf("subscribe to %q: %w", topic, err)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-c.ctx.Done():
		case <-s.closing:
		case <-s.broker.closing:
		}
		c.cancel()
		s.broker.detach(topic, s.queue, q, c)
		close(c.out)
	}()
	return c.out, nil
}

// Close ends every subscription of this subscriber and waits for their channels to close.
// It is idempotent.
func (s *memSubscriber) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// memBroker holds, per topic, named queues. A publish appends the message to every queue
// of the topic; each queue's consumers compete for its messages.
type memBroker struct {
	mu      sync.RWMutex
	topics  map[string]map[string]*memQueue
	closed  bool
	closing chan struct{}
}

func newMemBroker() *memBroker {
	return &memBroker{topics: make(map[string]map[string]*memQueue), closing: make(chan struct{})}
}

func (b *memBroker) publish(topic string, msgs []*message.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return fmt.Errorf("publish to %q: transport %w", topic, transport.ErrClosed)
	}
	queues := b.topics[topic]
	if len(queues) == 0 {
		return nil
	}
	// A queue keeps a stored copy of each message, shared with the other queues, and
	// every delivery is a copy of that, so neither the caller's message nor the stored
	// one is handed to a consumer. The exception is a message its publisher released
	// (metadata.Released): one queue keeps the message itself and delivers it, the first
	// time, as it is, one copy fewer; the stored copy is then made when it is delivered.
	first := make([]memEntry, len(msgs))
	var rest []memEntry
	if len(queues) > 1 {
		rest = make([]memEntry, len(msgs))
	}
	for i, m := range msgs {
		if metadata.Released(m) {
			first[i] = memEntry{handoff: m}
			if rest != nil {
				rest[i] = memEntry{stored: storeMessage(m)}
			}
			continue
		}
		first[i] = memEntry{stored: storeMessage(m)}
		if rest != nil {
			rest[i] = first[i]
		}
	}
	entries := first
	for _, q := range queues {
		q.push(entries)
		entries = rest
	}
	return nil
}

// declare returns the queue of topic named name, creating it. A non-nil c becomes one of
// its consumers; it must be detached.
func (b *memBroker) declare(topic, name string, autoDelete bool, c *memConsumer) (*memQueue, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("transport %w", transport.ErrClosed)
	}
	queues := b.topics[topic]
	if queues == nil {
		queues = make(map[string]*memQueue)
		b.topics[topic] = queues
	}
	q := queues[name]
	if q == nil {
		q = newMemQueue(autoDelete)
		queues[name] = q
		go q.dispatch(b.closing)
	}
	if c != nil {
		q.attach(c)
	}
	return q, nil
}

// detach removes consumer c from q; an auto-delete queue goes with its last consumer.
func (b *memBroker) detach(topic, name string, q *memQueue, c *memConsumer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if q.detach(c) > 0 || !q.autoDelete {
		return
	}
	close(q.deleted)
	if queues := b.topics[topic]; queues[name] == q {
		delete(queues, name)
		if len(queues) == 0 {
			delete(b.topics, topic)
		}
	}
}

func (b *memBroker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.closing)
		b.topics = nil
	}
}

// memConsumer is one subscription to a queue. ctx ends with the subscription.
type memConsumer struct {
	out    chan *message.Message
	ctx    context.Context
	cancel context.CancelFunc
	busy   bool // a delivery awaits ack; guarded by the queue's mu
}

// memQueue is a FIFO of messages and the consumers competing for them. A dispatcher
// goroutine offers the head message to every idle consumer at once and the first one
// whose reader takes it gets it, so a subscription nobody reads never holds a message.
// Each consumer has at most one unacknowledged message.
type memQueue struct {
	autoDelete bool
	deleted    chan struct{} // closed when an auto-delete queue is removed

	// sending is held by the dispatcher while it offers a message, and by a consumer
	// leaving the queue, so a consumer's channel is never closed during an offer.
	sending sync.Mutex

	mu        sync.Mutex
	msgs      []memEntry
	consumers []*memConsumer
	// changed is closed and replaced when the consumers change: one comes, goes or
	// becomes idle. An offer in progress is made again to the new set of idle consumers.
	changed chan struct{}
	// arrived is closed and replaced when messages are queued. It only wakes a
	// dispatcher waiting for work: a message arriving does not change who the head
	// message is offered to, so it does not interrupt an offer.
	arrived chan struct{}
}

func newMemQueue(autoDelete bool) *memQueue {
	return &memQueue{autoDelete: autoDelete, deleted: make(chan struct{}), changed: make(chan struct{}), arrived: make(chan struct{})}
}

// storedMessage is a published message as a queue keeps it: never handed to a consumer,
// only copied for each delivery.
type storedMessage struct {
	uuid     string
	payload  message.Payload
	metadata message.Metadata
}

// storeMessage returns what a queue keeps of m: its id, its payload (shared, as m.Copy
// shares it) and a copy of its metadata.
func storeMessage(m *message.Message) *storedMessage {
	s := &storedMessage{uuid: m.UUID, payload: m.Payload}
	if len(m.Metadata) > 0 {
		s.metadata = maps.Clone(m.Metadata)
	}
	return s
}

// message returns a new message with the stored id, payload and a copy of the metadata.
// It clones the metadata map whole rather than key by key, which matters for messages
// carrying a dozen attributes.
func (s *storedMessage) message() *message.Message {
	m := message.NewMessage(s.uuid, s.payload)
	if len(s.metadata) > 0 {
		m.Metadata = maps.Clone(s.metadata)
	}
	return m
}

// memEntry is a message in a queue: its stored copy, or, until its first delivery, the
// publisher's own message when the publisher released it (see memBroker.publish).
type memEntry struct {
	stored  *storedMessage
	handoff *message.Message
}

// signal tells the dispatcher that the consumers changed; q.mu must be held.
func (q *memQueue) signal() {
	close(q.changed)
	q.changed = make(chan struct{})
}

func (q *memQueue) push(msgs []memEntry) {
	q.mu.Lock()
	q.msgs = append(q.msgs, msgs...)
	close(q.arrived)
	q.arrived = make(chan struct{})
	q.mu.Unlock()
}

// pushFront puts back the head message whose offer was interrupted; only the
// dispatcher calls it, so nobody needs waking.
func (q *memQueue) pushFront(e memEntry) {
	q.mu.Lock()
	q.prepend(e)
	q.mu.Unlock()
}

// prepend puts e at the head of the queue; q.mu must be held.
func (q *memQueue) prepend(e memEntry) {
	q.msgs = append(q.msgs, memEntry{})
	copy(q.msgs[1:], q.msgs)
	q.msgs[0] = e
}

func (q *memQueue) attach(c *memConsumer) {
	q.mu.Lock()
	q.consumers = append(q.consumers, c)
	q.signal()
	q.mu.Unlock()
}

// detach removes c once no offer to it is in progress, and returns how many consumers
// remain.
func (q *memQueue) detach(c *memConsumer) int {
	q.sending.Lock()
	defer q.sending.Unlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, other := range q.consumers {
		if other == c {
			q.consumers = append(q.consumers[:i], q.consumers[i+1:]...)
			break
		}
	}
	q.signal()
	return len(q.consumers)
}

// idle marks c ready for its next message, first returning redeliver to the head of the
// queue when it is not nil.
func (q *memQueue) idle(c *memConsumer, redeliver *storedMessage) {
	q.mu.Lock()
	if redeliver != nil {
		q.prepend(memEntry{stored: redeliver})
	}
	c.busy = false
	q.signal()
	q.mu.Unlock()
}

// dispatch runs until the broker closes or the queue is deleted.
func (q *memQueue) dispatch(brokerClosing <-chan struct{}) {
	var cases []reflect.SelectCase
	var offered []*memConsumer
	for {
		q.mu.Lock()
		changed, arrived := q.changed, q.arrived
		ready := len(q.msgs) > 0 && q.hasIdle()
		q.mu.Unlock()
		if !ready {
			select {
			case <-changed:
				continue
			case <-arrived:
				continue
			case <-brokerClosing:
				return
			case <-q.deleted:
				return
			}
		}
		cases, offered = q.offer(cases[:0], offered[:0], brokerClosing)
	}
}

func (q *memQueue) hasIdle() bool {
	for _, c := range q.consumers {
		if !c.busy {
			return true
		}
	}
	return false
}

// offer takes the head message and offers it to every idle consumer until one takes it
// or something changes; in the latter case the message goes back to the head.
func (q *memQueue) offer(cases []reflect.SelectCase, offered []*memConsumer, brokerClosing <-chan struct{}) ([]reflect.SelectCase, []*memConsumer) {
	q.sending.Lock()
	defer q.sending.Unlock()

	q.mu.Lock()
	if len(q.msgs) == 0 {
		q.mu.Unlock()
		return cases, offered
	}
	head := q.msgs[0]
	q.msgs[0] = memEntry{}
	q.msgs = q.msgs[1:]
	changed := q.changed
	ctx, cancel := context.WithCancel(context.Background())
	delivery, stored := head.handoff, head.stored
	if delivery != nil {
		stored = storeMessage(delivery) // for a redelivery
	} else {
		delivery = stored.message()
	}
	delivery.SetContext(ctx)
	value := reflect.ValueOf(delivery)
	for _, c := range q.consumers {
		if !c.busy {
			offered = append(offered, c)
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectSend, Chan: reflect.ValueOf(c.out), Send: value})
		}
	}
	// Every consumer's end interrupts the offer, so a leaving consumer never waits long
	// for the sending lock.
	for _, c := range q.consumers {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.ctx.Done())})
	}
	q.mu.Unlock()
	cases = append(cases,
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(changed)},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(brokerClosing)},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(q.deleted)},
	)

	chosen, _, _ := reflect.Select(cases)
	for i := range cases {
		cases[i] = reflect.SelectCase{} // drop references to channels and the message
	}
	if chosen >= len(offered) {
		cancel()
		q.pushFront(head)
		return cases, offered
	}
	c := offered[chosen]
	q.mu.Lock()
	c.busy = true
	q.mu.Unlock()
	go q.await(c, stored, delivery, cancel)
	return cases, offered
}

// await waits for the consumer's verdict on delivery: an ack frees the consumer, a nack
// or the end of the subscription puts stored back at the head of the queue.
func (q *memQueue) await(c *memConsumer, stored *storedMessage, delivery *message.Message, cancel context.CancelFunc) {
	defer cancel()
	select {
	case <-delivery.Acked():
		q.idle(c, nil)
	case <-delivery.Nacked():
		q.idle(c, stored)
	case <-c.ctx.Done():
		q.idle(c, stored)
	}
}
