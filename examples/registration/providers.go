package registration

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/wire"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/examples/registration/userapi"
	"github.com/millrace/millrace/handlers/mailer"
	"github.com/millrace/millrace/handlers/users"
	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/health"
	"github.com/millrace/millrace/internal/idempotency"
	"github.com/millrace/millrace/internal/logging"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/outbox"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/server"
	"github.com/millrace/millrace/internal/service"
	"github.com/millrace/millrace/topology"
)

// Service names, the ce_source of the events each publishes.
const (
	SourceUsers  = "users"
	SourceMailer = "mailer"
)

// BacklogInterval is how often the users service counts the outbox rows not relayed
// yet, for the millrace_outbox_backlog_messages gauge.
const BacklogInterval = 5 * time.Second

// StoreSet provides the users database and what lives in it: the processed-message
// record, the outbox and the users domain service on top of them.
var StoreSet = wire.NewSet(ProvideStore, ProvideRecord, ProvideOutbox, ProvideService)

// UsersSet provides *Users: what cmd/users runs.
var UsersSet = wire.NewSet(StoreSet, NewUsers)

// MailerSet provides *Mailer sending over SMTP and serving its metrics and health on
// Settings.HTTPAddr: what cmd/mailer runs.
var MailerSet = wire.NewSet(StoreSet, ProvideSMTP, ProvideMailer)

// ProvideStore opens the users database the settings and topology name.
func ProvideStore(ctx context.Context, topo *topology.Topology, s Settings, logger *slog.Logger) (*account.Store, func(), error) {
	dialect, dsn, err := s.database(topo)
	if err != nil {
		return nil, nil, err
	}
	store, err := account.Open(ctx, dialect, dsn)
	if err != nil {
		return nil, nil, err
	}
	return store, func() {
		if err := store.Close(); err != nil {
			logger.Error("close users store", "error", err)
		}
	}, nil
}

// ProvideRecord returns the processed-message record of the users database, which
// the handlers of both services keep.
func ProvideRecord(ctx context.Context, store *account.Store) (*idempotency.Store, error) {
	return idempotency.New(ctx, store.DB(), idempotency.Config{Dialect: store.Dialect()})
}

// ProvideOutbox returns the outbox in the users database. Its writes carry the trace
// context of the request that stores them, which the relay's publish continues.
func ProvideOutbox(ctx context.Context, store *account.Store, s Settings, o *observability.Observability, logger *slog.Logger) (*outbox.Outbox, error) {
	return outbox.New(ctx, store.DB(), outbox.Config{
		Dialect:      store.Dialect(),
		Topic:        s.OutboxTopic,
		Source:       SourceUsers,
		EventTopic:   account.TopicFunc(s.TopicPrefix),
		PollInterval: s.OutboxPoll,
		InFlight:     s.OutboxInFlight,
		Decorators:   []message.PublisherDecorator{o.Tracing.DecoratePublisher},
	}, logging.Watermill(logger))
}

// ProvideService returns the users service.
func ProvideService(store *account.Store, ob *outbox.Outbox, s Settings) (*account.Service, error) {
	return account.NewService(store, ob, account.Config{TokenTTL: s.TokenTTL, Argon2: s.Argon2})
}

// ProvideSMTP returns the SMTP sender of the settings.
func ProvideSMTP(s Settings) (mail.Sender, error) {
	return mail.NewSMTP(mail.SMTPConfig{Addr: s.SMTPAddr, From: s.From})
}

// Users is the users service: HTTP API (with /metrics, /healthz and /readyz), outbox
// relay and the stats handler.
type Users struct {
	HTTP   *server.HTTP
	Relay  *outbox.Relay
	Router *router.Router
	API    *userapi.API
	// Obs holds the service's metrics, tracing and readiness checks.
	Obs *observability.Observability

	outbox          *outbox.Outbox
	shutdownTimeout time.Duration
	logger          *slog.Logger
}

// NewUsers assembles the users service and adds the users database to the readiness
// checks of o; nothing runs before Run.
func NewUsers(s Settings, topo *topology.Topology, b *bus.Bus, svc *account.Service, record *idempotency.Store, ob *outbox.Outbox, store *account.Store, o *observability.Observability, logger *slog.Logger) (*Users, func(), error) {
	if err := o.Health.Add(health.DB("users", store.DB())); err != nil {
		return nil, nil, fmt.Errorf("users: %w", err)
	}
	stats, err := users.NewUpdateUserStats(svc, record)
	if err != nil {
		return nil, nil, err
	}
	rt, err := router.New(router.Config{Topology: topo, Bus: b, Logger: logger.With("service", SourceUsers),
		CloseTimeout: s.ShutdownTimeout, Instruments: o.Instruments(), Handlers: []router.Handler{stats}})
	if err != nil {
		return nil, nil, fmt.Errorf("users: %w", err)
	}
	out, err := o.Metrics.Outbox(ob.Topic()).DecoratePublisher(b.Publisher())
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("users: %w", err), rt.Close())
	}
	relay, err := ob.NewRelay(out)
	if err != nil {
		return nil, nil, errors.Join(err, rt.Close())
	}
	api := userapi.New(svc, logger.With("service", SourceUsers))
	mux := http.NewServeMux()
	o.Register(mux)
	mux.Handle("/", api.Handler())
	srv, err := server.Listen(server.HTTPConfig{Addr: s.HTTPAddr, Handler: o.HTTPMiddleware(mux),
		ShutdownTimeout: s.ShutdownTimeout, Logger: logger})
	if err != nil {
		return nil, nil, errors.Join(err, relay.Close(), rt.Close())
	}
	u := &Users{HTTP: srv, Relay: relay, Router: rt, API: api, Obs: o, outbox: ob, shutdownTimeout: s.ShutdownTimeout, logger: logger}
	return u, func() {
		if err := errors.Join(srv.Close(), relay.Close(), rt.Close()); err != nil {
			logger.Error("close users service", "error", err)
		}
	}, nil
}

// WatchBacklog reports the outbox backlog to the metrics every BacklogInterval until
// ctx is done.
func (u *Users) WatchBacklog(ctx context.Context) error {
	return u.Obs.Metrics.Outbox(u.outbox.Topic()).WatchBacklog(ctx, BacklogInterval, u.outbox.Backlog, func(err error) {
		u.logger.Warn("outbox backlog", "error", err)
	})
}

// Run serves HTTP, relays the outbox and runs the stats handler until ctx is done.
// Then it reports not ready, stops the HTTP server (requests in flight finish), and
// stops the relay and the router, whose handlers in flight finish; each step is
// bounded by Settings.ShutdownTimeout.
func (u *Users) Run(ctx context.Context) error {
	return service.Run(ctx, service.Config{
		Drain:       u.Obs.Health.Drain,
		StopTimeout: u.shutdownTimeout,
		Logger:      u.logger,
		Stages: []service.Stage{
			{Name: "http", Runners: []server.Runner{u.HTTP.Run}},
			{Name: "handlers", Runners: []server.Runner{u.Relay.Run, u.Router.Run, u.WatchBacklog}},
		},
	})
}

// Mailer runs the email handlers and, when HTTP is set, serves its metrics and
// health.
type Mailer struct {
	Router *router.Router
	// HTTP serves /metrics, /healthz and /readyz; nil when another server of the
	// process serves them.
	HTTP *server.HTTP
	// Obs holds the mailer's metrics, tracing and readiness checks.
	Obs *observability.Observability

	// smtpCheck is the readiness check of the SMTP server; nil for a sender that
	// cannot be pinged.
	smtpCheck       func(context.Context) error
	shutdownTimeout time.Duration
	logger          *slog.Logger
}

// SMTPCheckTTL is how long the mailer's readiness keeps the result of connecting to
// the SMTP server.
const SMTPCheckTTL = 5 * time.Second

// pinger is a sender that can check its server, as *mail.SMTP does.
type pinger interface {
	Ping(ctx context.Context) error
}

// NewMailer assembles the mailer: the email handlers sending through sender and
// publishing mail.sent on the bus, verification links starting with s.PublicURL
// (required here; ProvideMailerBesideUsers and ProvideMailer fill it in). A sender that can be pinged (SMTP)
// joins the readiness checks as "smtp", connecting at most once per SMTPCheckTTL; every
// email sent is logged. It serves no HTTP (see ProvideMailer).
func NewMailer(s Settings, topo *topology.Topology, b *bus.Bus, svc *account.Service, record *idempotency.Store, sender mail.Sender, o *observability.Observability, logger *slog.Logger) (*Mailer, func(), error) {
	if s.PublicURL == "" {
		return nil, nil, errors.New("mailer: no public URL for verification links")
	}
	logger = logger.With("service", SourceMailer)
	var smtpCheck func(context.Context) error
	if p, ok := sender.(pinger); ok {
		check := health.Cached(health.Check{Name: "smtp", Func: p.Ping}, SMTPCheckTTL)
		if err := o.Health.Add(check); err != nil {
			return nil, nil, fmt.Errorf("mailer: %w", err)
		}
		smtpCheck = check.Func
	}
	sender = mail.Logged(sender, logger)
	events, err := event.NewBus(b.Publisher(), event.BusConfig{Source: SourceMailer, Topic: account.TopicFunc(s.TopicPrefix),
		Logger: logging.Watermill(logger)})
	if err != nil {
		return nil, nil, fmt.Errorf("mailer: %w", err)
	}
	rt, err := router.New(router.Config{Topology: topo, Bus: b, Logger: logger,
		CloseTimeout: s.ShutdownTimeout, Instruments: o.Instruments(),
		Handlers: []router.Handler{
			mailer.NewSendVerificationEmail(mailer.VerificationEmail{Users: svc, Record: record, Sender: sender, Events: events, PublicURL: s.PublicURL}),
			mailer.NewSendWelcomeEmail(mailer.WelcomeEmail{Record: record, Sender: sender, Events: events}),
		}})
	if err != nil {
		return nil, nil, fmt.Errorf("mailer: %w", err)
	}
	return &Mailer{Router: rt, Obs: o, smtpCheck: smtpCheck, shutdownTimeout: s.ShutdownTimeout, logger: logger}, func() {
		if err := rt.Close(); err != nil {
			logger.Error("close mailer", "error", err)
		}
	}, nil
}

// ProvideMailer assembles the mailer of cmd/mailer: NewMailer, the users database in
// its readiness checks, and an HTTP server on Settings.HTTPAddr serving only
// /metrics, /healthz and /readyz. Without Settings.PublicURL, verification links point
// at the users service's default address (DefaultHTTPAddr), not the mailer's own.
func ProvideMailer(s Settings, topo *topology.Topology, b *bus.Bus, svc *account.Service, record *idempotency.Store, store *account.Store, sender mail.Sender, o *observability.Observability, logger *slog.Logger) (*Mailer, func(), error) {
	if err := o.Health.Add(health.DB("users", store.DB())); err != nil {
		return nil, nil, fmt.Errorf("mailer: %w", err)
	}
	base, err := s.publicURL(DefaultHTTPAddr, "the users service's default address "+DefaultHTTPAddr, logger)
	if err != nil {
		return nil, nil, fmt.Errorf("mailer: %w", err)
	}
	s.PublicURL = base
	m, closeMailer, err := NewMailer(s, topo, b, svc, record, sender, o, logger)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	o.Register(mux)
	srv, err := server.Listen(server.HTTPConfig{Addr: s.HTTPAddr, Handler: o.HTTPMiddleware(mux),
		ShutdownTimeout: s.ShutdownTimeout, Logger: logger})
	if err != nil {
		closeMailer()
		return nil, nil, fmt.Errorf("mailer: %w", err)
	}
	m.HTTP = srv
	return m, func() {
		if err := srv.Close(); err != nil {
			logger.Error("close mailer http server", "error", err)
		}
		closeMailer()
	}, nil
}

// Run runs the email handlers until ctx is done. Then it reports not ready and stops
// the router, whose handlers in flight finish within Settings.ShutdownTimeout; the
// HTTP server, if any, stops last so that /readyz answers "draining" meanwhile. At the
// start it checks the SMTP server once and logs whether emails can go out.
func (m *Mailer) Run(ctx context.Context) error {
	stages := []service.Stage{{Name: "handlers", Runners: []server.Runner{m.Router.Run, m.checkSMTP}}}
	if m.HTTP != nil {
		stages = append(stages, service.Stage{Name: "http", Runners: []server.Runner{m.HTTP.Run}})
	}
	return service.Run(ctx, service.Config{Drain: m.Obs.Health.Drain, StopTimeout: m.shutdownTimeout, Logger: m.logger, Stages: stages})
}

// checkSMTP checks the SMTP server once, bounded by health.DefaultTimeout, and logs a
// warning when emails cannot go out (they are retried meanwhile).
func (m *Mailer) checkSMTP(ctx context.Context) error {
	if m.smtpCheck == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, health.DefaultTimeout)
	defer cancel()
	if err := m.smtpCheck(ctx); err != nil {
		m.logger.WarnContext(ctx, "smtp server unusable: emails are retried and /readyz reports not ready until it answers", "error", err)
		return nil
	}
	m.logger.InfoContext(ctx, "smtp server ready")
	return nil
}
