package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/millrace/millrace/examples/chat/room"
	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/logging"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/server"
	"github.com/millrace/millrace/internal/service"
	"github.com/millrace/millrace/topology"
)

// DefaultAddr is the address the chat listens on by default.
const DefaultAddr = ":8080"

// Source is the ce_source of the events the chat publishes.
const Source = "millrace/chat"

// Config configures an App.
type Config struct {
	// Topology declares the chat topics and the ChatFanout handler entry. Required.
	Topology *topology.Topology
	// Bus publishes the chat events and gives the router its subscribers. Required.
	Bus router.PubSub
	// History stores each room's recent messages. Required.
	History room.History
	// Logger (default: discarded).
	Logger *slog.Logger
	// Addr is the HTTP address (default DefaultAddr; ":0" picks a free port).
	Addr string
	// ShutdownTimeout bounds each step of a graceful shutdown: the WebSockets and
	// requests in flight, then the fanout handler (default
	// service.DefaultStopTimeout).
	ShutdownTimeout time.Duration
	// MessagesTopic carries MessageSent, PresenceTopic UserJoined, UserLeft and
	// MembersPresent (defaults chat.DefaultMessagesTopic and chat.DefaultPresenceTopic).
	MessagesTopic, PresenceTopic string
	// Chat tunes the chat service; its Events, History and Logger are set by New.
	Chat room.Config
	// Observability, when set, adds /metrics, /healthz and /readyz to the HTTP server,
	// traces requests and instruments the fanout handler.
	Observability *observability.Observability
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = service.DefaultStopTimeout
	}
	if c.MessagesTopic == "" {
		c.MessagesTopic = room.DefaultMessagesTopic
	}
	if c.PresenceTopic == "" {
		c.PresenceTopic = room.DefaultPresenceTopic
	}
}

// Validate reports every problem of the config, including chat topics the topology does
// not declare with broadcast delivery.
func (c Config) Validate() error {
	var errs []error
	if c.Topology == nil {
		errs = append(errs, errors.New("missing Topology"))
	}
	if c.Bus == nil {
		errs = append(errs, errors.New("missing Bus"))
	}
	if c.History == nil {
		errs = append(errs, errors.New("missing History"))
	}
	if c.Topology != nil {
		for _, name := range []string{c.MessagesTopic, c.PresenceTopic} {
			t, err := c.Topology.Resolve(name)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("chat topic %s: %w", name, err))
			case t.Delivery != topology.Broadcast:
				errs = append(errs, fmt.Errorf("chat topic %s must have delivery: broadcast in %s, not %s", name, c.Topology.File, t.Delivery))
			}
		}
	}
	return errors.Join(errs...)
}

// App is one chat instance: HTTP server, chat service and the router of its fanout
// handler.
type App struct {
	service         *room.Service
	router          *router.Router
	http            *server.HTTP
	drain           func()
	shutdownTimeout time.Duration
	logger          *slog.Logger
}

// New builds an App and binds its HTTP address. Nothing is served or consumed before
// Run. Call Close when Run is never called.
func New(cfg Config) (*App, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("chat app: %w", err)
	}
	topics := map[string]string{
		room.MessageSent{}.EventName():    cfg.MessagesTopic,
		room.UserJoined{}.EventName():     cfg.PresenceTopic,
		room.UserLeft{}.EventName():       cfg.PresenceTopic,
		room.MembersPresent{}.EventName(): cfg.PresenceTopic,
	}
	events, err := event.NewPublisher(cfg.Bus.Publisher(), event.PublisherConfig{
		Source: Source,
		Topic:  func(ev event.Event) string { return topics[ev.EventName()] },
		Logger: logging.Watermill(cfg.Logger),
	})
	if err != nil {
		return nil, fmt.Errorf("chat app: %w", err)
	}
	cc := cfg.Chat
	cc.Events, cc.History, cc.Logger = events, cfg.History, cfg.Logger
	svc, err := room.NewService(cc)
	if err != nil {
		return nil, fmt.Errorf("chat app: %w", err)
	}
	hs, err := Handlers(Deps{Rooms: svc})
	if err != nil {
		return nil, fmt.Errorf("chat app: %w", err)
	}
	rc := router.Config{
		Topology:     cfg.Topology,
		Bus:          cfg.Bus,
		Logger:       cfg.Logger,
		CloseTimeout: cfg.ShutdownTimeout,
		Handlers:     hs,
	}
	var (
		handler http.Handler = svc
		drain   func()
	)
	if o := cfg.Observability; o != nil {
		rc.Instruments = o.Instruments()
		mux := http.NewServeMux()
		o.Register(mux)
		mux.Handle("/", svc)
		handler = o.HTTPMiddleware(mux)
		drain = o.Health.Drain
	}
	r, err := router.New(rc)
	if err != nil {
		return nil, fmt.Errorf("chat app: %w", err)
	}
	h, err := server.Listen(server.HTTPConfig{
		Addr:            cfg.Addr,
		Handler:         correlation.Middleware(handler),
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          cfg.Logger,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("chat app: %w", err), r.Close())
	}
	return &App{service: svc, router: r, http: h, drain: drain, shutdownTimeout: cfg.ShutdownTimeout, logger: cfg.Logger}, nil
}

// Addr returns the address the HTTP server listens on.
func (a *App) Addr() string { return a.http.Addr() }

// Handler returns the chat's HTTP handler (page, WebSocket, health check), for a binary
// that serves it on a server of its own.
func (a *App) Handler() http.Handler { return a.service }

// Service returns the chat service.
func (a *App) Service() *room.Service { return a.service }

// Running is closed once the fanout handler consumes its topics: from then on every
// message published reaches this instance.
func (a *App) Running() <-chan struct{} { return a.router.Running() }

// Run serves HTTP, consumes the chat topics and runs the service until ctx is done or
// one of them fails. Then it reports "draining" on /readyz (with Observability), closes
// every WebSocket (status 1001) and shuts the server down, then stops the router; each
// step is bounded by Config.ShutdownTimeout.
func (a *App) Run(ctx context.Context) error {
	err := service.Run(ctx, service.Config{
		Drain:       a.drain,
		StopTimeout: a.shutdownTimeout,
		Logger:      a.logger,
		Stages: []service.Stage{
			{Name: "connections", Runners: []server.Runner{a.http.Run, a.service.Run}},
			{Name: "handlers", Runners: []server.Runner{a.router.Run}},
		},
	})
	return errors.Join(err, a.router.Close())
}

// Close releases an App whose Run was never called.
func (a *App) Close() error {
	return errors.Join(a.router.Close(), a.http.Close())
}
