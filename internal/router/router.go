package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/logging"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// Handler is a message handler registered in code. Its Name matches a handlers entry
// of the topology; *event.Handler implements it.
type Handler interface {
	Name() string
	// HandleMessage handles one message. An error makes the router retry and then
	// poison the message; mark it with Permanent to skip the retries.
	HandleMessage(msg *message.Message) error
}

// PubSub is what the router needs from the message bus: a publisher for poisoned
// messages and subscribers per consumer group. *bus.Bus implements it.
type PubSub interface {
	Publisher() message.Publisher
	NewSubscriber(group string) (message.Subscriber, error)
}

// DefaultCloseTimeout is how long Close waits for messages in flight by default.
const DefaultCloseTimeout = 30 * time.Second

// Config configures a Router.
type Config struct {
	// Topology gives every handler its topics and policy. Required.
	Topology *topology.Topology
	// Bus provides the subscribers and the poison publisher. Required.
	Bus PubSub
	// Logger receives the router's logs (default: discarded).
	Logger *slog.Logger
	// CloseTimeout bounds how long Close waits for messages in flight
	// (default DefaultCloseTimeout).
	CloseTimeout time.Duration
	// Handlers are the handlers this binary runs. Each needs a topology entry of the
	// same name; topology entries without a handler here are run by other binaries.
	Handlers []Handler
	// Routes names the routes of the topology this router runs (AllRoutes names all of
	// them); the others are run by other processes.
	Routes []string
	// Instruments observe every delivery and attempt, in this order (optional): the
	// metrics and tracing packages provide them.
	Instruments []Instrument
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.CloseTimeout <= 0 {
		c.CloseTimeout = DefaultCloseTimeout
	}
}

// Validate reports every problem of the config, naming each handler registered in code
// that the topology does not declare.
func (c Config) Validate() error {
	var errs []error
	if c.Topology == nil {
		errs = append(errs, errors.New("missing Topology"))
	}
	if c.Bus == nil {
		errs = append(errs, errors.New("missing Bus"))
	}
	seen := make(map[string]bool, len(c.Handlers))
	for i, h := range c.Handlers {
		if h == nil {
			errs = append(errs, fmt.Errorf("handler %d is nil", i))
			continue
		}
		name := h.Name()
		if seen[name] {
			errs = append(errs, fmt.Errorf("handler %q registered twice", name))
			continue
		}
		seen[name] = true
		if c.Topology != nil && declared(c.Topology, name) == nil {
			errs = append(errs, fmt.Errorf("handler %q is registered in code but %s has no handlers entry for it", name, topologyName(c.Topology)))
		}
	}
	for _, name := range c.Routes {
		if seen[name] {
			errs = append(errs, fmt.Errorf("route %q given twice, or also registered as a handler", name))
			continue
		}
		seen[name] = true
		if c.Topology != nil {
			if _, ok := c.Topology.Route(name); !ok {
				errs = append(errs, fmt.Errorf("route %q is not in the routes of %s", name, topologyName(c.Topology)))
			}
		}
	}
	for i, in := range c.Instruments {
		if in == nil {
			errs = append(errs, fmt.Errorf("instrument %d is nil", i))
		}
	}
	return errors.Join(errs...)
}

// topologyName names topo in errors.
func topologyName(topo *topology.Topology) string {
	if topo.File == "" {
		return "the topology"
	}
	return topo.File
}

// declared returns the topology entry of the handler named name, or nil.
func declared(topo *topology.Topology, name string) *topology.Handler {
	for _, h := range topo.Handlers {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// Router consumes the topics of the registered handlers through their middleware chain.
type Router struct {
	router      *message.Router
	subscribers []message.Subscriber

	// quit stops the workers of onWorker, once the router has stopped.
	quit     chan struct{}
	quitOnce sync.Once

	mu      sync.Mutex
	started bool // Run was called
	closed  bool

	closeOnce sync.Once
	closeErr  error
}

// New builds a Router: it creates one subscriber per consumer group and adds, for each
// handler, topic and unit of concurrency, a Watermill handler with the middleware
// chain described in the package documentation. Nothing is consumed before Run.
func New(cfg Config) (*Router, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	wlogger := logging.Watermill(cfg.Logger)
	wr, err := message.NewRouter(message.RouterConfig{CloseTimeout: cfg.CloseTimeout}, wlogger)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	r := &Router{router: wr, quit: make(chan struct{})}
	for _, in := range cfg.Instruments {
		if wi, ok := in.(WatermillInstrument); ok {
			if err := wi.InstrumentWatermill(wr); err != nil {
				return nil, fmt.Errorf("router: instrument: %w", err)
			}
		}
	}

	registered := make(map[string]Handler, len(cfg.Handlers))
	for _, h := range cfg.Handlers {
		registered[h.Name()] = h
	}
	type consumer struct {
		h  Handler
		th *topology.Handler
	}
	var consumers []consumer
	for _, th := range cfg.Topology.Handlers {
		h, ok := registered[th.Name]
		if !ok {
			cfg.Logger.Debug("handler not run by this binary", "handler", th.Name, "topic", th.Pattern)
			continue
		}
		consumers = append(consumers, consumer{h, th})
	}
	for _, name := range cfg.Routes {
		tr, _ := cfg.Topology.Route(name)
		fw := &forwarder{route: tr, pub: cfg.Bus.Publisher()}
		registered[name] = fw
		consumers = append(consumers, consumer{fw, &tr.Handler})
	}
	subscribers := map[string]message.Subscriber{}
	for _, c := range consumers {
		h, th := c.h, c.th
		group := th.Policy.Group
		if group == "" {
			group = th.Name
		}
		sub, ok := subscribers[group]
		if !ok {
			inner, err := cfg.Bus.NewSubscriber(group)
			if err != nil {
				return nil, errors.Join(fmt.Errorf("router: subscriber of group %s: %w", group, err), r.closeSubscribers())
			}
			sub = newDrainingSubscriber(inner)
			subscribers[group] = sub
			r.subscribers = append(r.subscribers, sub)
		}
		if err := r.add(h, th, sub, cfg); err != nil {
			return nil, errors.Join(fmt.Errorf("router: %w", err), r.closeSubscribers())
		}
	}
	if err := declare(cfg.Bus, subscribers, subscriptions(cfg.Topology, registered)); err != nil {
		return nil, errors.Join(fmt.Errorf("router: %w", err), r.closeSubscribers())
	}
	return r, nil
}

// PoisonStoreGroup is the consumer group that keeps every poison topic, so a poisoned
// message is stored even while nothing reads the poison topic. Tools that list and
// replay poisoned messages read with this group.
const PoisonStoreGroup = "poison-store"

// subscriptions returns, by consumer group, the topics whose subscription New declares
// before anything is published, so that no message is dropped for want of a consumer
// that has not started yet (a RabbitMQ fanout exchange with no queue bound drops what
// it receives; so does the in-memory broker for a group without a queue):
//
//   - the shared topics of every handler and route of the topology, including those other
//     binaries run, on transports that outlive the process (not in-process ones, whose
//     queues would only grow when their consumer lives elsewhere);
//   - the shared topics of the handlers this binary runs, on every transport;
//   - every poison topic, for PoisonStoreGroup.
//
// Broadcast topics are left out: each instance gets its own subscription.
func subscriptions(topo *topology.Topology, registered map[string]Handler) map[string][]string {
	out := make(map[string][]string)
	entries := slices.Clone(topo.Handlers)
	for _, r := range topo.Routes {
		entries = append(entries, &r.Handler)
	}
	for _, th := range entries {
		_, runsHere := registered[th.Name]
		for _, topic := range th.Topics {
			if p := th.PoisonTopicFor(topic); p != "" {
				out[PoisonStoreGroup] = append(out[PoisonStoreGroup], p)
			}
			tp, err := topo.Resolve(topic)
			if err != nil || tp.Delivery != topology.Shared {
				continue
			}
			if tr, ok := topo.Transports[tp.Transport]; runsHere || ok && !transport.InProcess(tr.Kind) {
				out[th.Policy.Group] = append(out[th.Policy.Group], topic)
			}
		}
	}
	return out
}

// declare initializes the subscription of each group on each of its topics, on the
// transports that need one declared before publishing. It uses the router's own
// subscriber of a group where there is one, and a short-lived one otherwise.
func declare(b PubSub, open map[string]message.Subscriber, byGroup map[string][]string) error {
	var errs []error
	for _, group := range slices.Sorted(maps.Keys(byGroup)) {
		sub, owned := open[group], false
		if sub == nil {
			var err error
			if sub, err = b.NewSubscriber(group); err != nil {
				errs = append(errs, fmt.Errorf("declare group %s: %w", group, err))
				continue
			}
			owned = true
		}
		if init, ok := sub.(message.SubscribeInitializer); ok {
			for _, topic := range slices.Compact(slices.Sorted(slices.Values(byGroup[group]))) {
				if err := init.SubscribeInitialize(topic); err != nil {
					errs = append(errs, fmt.Errorf("declare group %s on %s: %w", group, topic, err))
				}
			}
		}
		if owned {
			if err := sub.Close(); err != nil {
				errs = append(errs, fmt.Errorf("declare group %s: close: %w", group, err))
			}
		}
	}
	return errors.Join(errs...)
}

// add registers h on every topic of th, Policy.Concurrency times each.
func (r *Router) add(h Handler, th *topology.Handler, sub message.Subscriber, cfg Config) error {
	if len(th.Topics) == 0 {
		return fmt.Errorf("handler %s: pattern %q matches no topic", th.Name, th.Pattern)
	}
	logger := cfg.Logger.With("handler", th.Name)
	for _, topic := range th.Topics {
		reg := Registration{
			Handler:     th.Name,
			Topic:       topic,
			Group:       th.Policy.Group,
			PoisonTopic: th.PoisonTopicFor(topic),
			MaxAttempts: max(th.Policy.Retry.MaxAttempts, 1),
		}
		if reg.Group == "" {
			reg.Group = th.Name
		}
		ms, err := chain(th, reg, cfg.Bus.Publisher(), cfg.Instruments, logger)
		if err != nil {
			return err
		}
		for i := range max(th.Policy.Concurrency, 1) {
			name := fmt.Sprintf("%s/%s/%d", th.Name, topic, i)
			wh := r.router.AddConsumerHandler(name, topic, sub, h.HandleMessage)
			wh.AddMiddleware(onWorker(r.quit))
			wh.AddMiddleware(ms...)
		}
		logger.Debug("handler registered", "topic", topic, "group", th.Policy.Group,
			"concurrency", max(th.Policy.Concurrency, 1), "poison_topic", th.PoisonTopicFor(topic))
	}
	return nil
}

// Run consumes until ctx is done or Close is called, then waits for messages in
// flight (up to the close timeout). It returns once the router has stopped.
func (r *Router) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return errors.New("router: run after close")
	}
	r.started = true
	r.mu.Unlock()
	defer r.stopWorkers()
	if err := r.router.Run(ctx); err != nil {
		return fmt.Errorf("router: %w", err)
	}
	return nil
}

// Running is closed once every handler has subscribed.
func (r *Router) Running() chan struct{} { return r.router.Running() }

// Close stops the router, waiting for messages in flight, then closes the subscribers
// it created. It is safe to call more than once.
func (r *Router) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		started := r.started
		r.mu.Unlock()
		var errs []error
		// A Watermill router that never ran would wait for its handlers until the
		// close timeout.
		if started {
			if err := r.router.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close router: %w", err))
			}
		}
		r.stopWorkers()
		errs = append(errs, r.closeSubscribers())
		r.closeErr = errors.Join(errs...)
	})
	return r.closeErr
}

// stopWorkers stops the goroutines that handle messages; the router has stopped.
func (r *Router) stopWorkers() { r.quitOnce.Do(func() { close(r.quit) }) }

func (r *Router) closeSubscribers() error {
	var errs []error
	for _, s := range r.subscribers {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close subscriber: %w", err))
		}
	}
	return errors.Join(errs...)
}
