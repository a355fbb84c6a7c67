package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/logging"
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

// Bus is what the router needs from the message bus: a publisher for poisoned
// messages and subscribers per consumer group. *bus.Bus implements it.
type Bus interface {
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
	Bus Bus
	// Logger receives the router's logs (default: discarded).
	Logger *slog.Logger
	// CloseTimeout bounds how long Close waits for messages in flight
	// (default DefaultCloseTimeout).
	CloseTimeout time.Duration
	// Handlers are the handlers this binary runs. Each needs a topology entry of the
	// same name; topology entries without a handler here are run by other binaries.
	Handlers []Handler
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
			file := c.Topology.File
			if file == "" {
				file = "the topology"
			}
			errs = append(errs, fmt.Errorf("handler %q is registered in code but %s has no handlers entry for it", name, file))
		}
	}
	return errors.Join(errs...)
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
	r := &Router{router: wr}

	registered := make(map[string]Handler, len(cfg.Handlers))
	for _, h := range cfg.Handlers {
		registered[h.Name()] = h
	}
	subscribers := map[string]message.Subscriber{}
	var poisonTopics []string
	for _, th := range cfg.Topology.Handlers {
		h, ok := registered[th.Name]
		if !ok {
			cfg.Logger.Debug("handler not run by this binary", "handler", th.Name, "topic", th.Pattern)
			continue
		}
		group := th.Policy.Group
		if group == "" {
			group = th.Name
		}
		sub, ok := subscribers[group]
		if !ok {
			sub, err = cfg.Bus.NewSubscriber(group)
			if err != nil {
				return nil, errors.Join(fmt.Errorf("router: subscriber of group %s: %w", group, err), r.closeSubscribers())
			}
			subscribers[group] = sub
			r.subscribers = append(r.subscribers, sub)
		}
		if err := r.add(h, th, sub, cfg); err != nil {
			return nil, errors.Join(fmt.Errorf("router: %w", err), r.closeSubscribers())
		}
		for _, topic := range th.Topics {
			if p := th.PoisonTopicFor(topic); p != "" {
				poisonTopics = append(poisonTopics, p)
			}
		}
	}
	if err := keepPoison(cfg.Bus, poisonTopics); err != nil {
		return nil, errors.Join(fmt.Errorf("router: %w", err), r.closeSubscribers())
	}
	return r, nil
}

// PoisonStoreGroup is the consumer group that keeps every poison topic: New declares
// it on each poison topic of the handlers it runs, so a poisoned message is stored even
// while nothing reads the poison topic (a RabbitMQ fanout exchange with no queue bound
// would drop it). Tools that list and replay poisoned messages read with this group.
const PoisonStoreGroup = "poison-store"

// keepPoison declares the PoisonStoreGroup subscription of every topic in topics on
// transports that need one declared before publishing.
func keepPoison(b Bus, topics []string) error {
	if len(topics) == 0 {
		return nil
	}
	sub, err := b.NewSubscriber(PoisonStoreGroup)
	if err != nil {
		return fmt.Errorf("poison store subscriber: %w", err)
	}
	var errs []error
	if init, ok := sub.(message.SubscribeInitializer); ok {
		for _, topic := range slices.Compact(slices.Sorted(slices.Values(topics))) {
			if err := init.SubscribeInitialize(topic); err != nil {
				errs = append(errs, fmt.Errorf("keep poison topic %s: %w", topic, err))
			}
		}
	}
	if err := sub.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close poison store subscriber: %w", err))
	}
	return errors.Join(errs...)
}

// add registers h on every topic of th, Policy.Concurrency times each.
func (r *Router) add(h Handler, th *topology.Handler, sub message.Subscriber, cfg Config) error {
	if len(th.Topics) == 0 {
		return fmt.Errorf("handler %s: pattern %q matches no topic", th.Name, th.Pattern)
	}
	logger := cfg.Logger.With("handler", th.Name)
	wlogger := logging.Watermill(logger)
	for _, topic := range th.Topics {
		ms, err := chain(th, topic, cfg.Bus.Publisher(), logger, wlogger)
		if err != nil {
			return err
		}
		for i := range max(th.Policy.Concurrency, 1) {
			name := fmt.Sprintf("%s/%s/%d", th.Name, topic, i)
			wh := r.router.AddConsumerHandler(name, topic, sub, h.HandleMessage)
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
		errs = append(errs, r.closeSubscribers())
		r.closeErr = errors.Join(errs...)
	})
	return r.closeErr
}

func (r *Router) closeSubscribers() error {
	var errs []error
	for _, s := range r.subscribers {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close subscriber: %w", err))
		}
	}
	return errors.Join(errs...)
}
