// Package mailer assembles the mailer of the registration example: the email handlers
// sending through a mail.Sender and, in its own binary, the HTTP server of its metrics
// and health; cmd/mailer runs it.
package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/wire"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/examples/registration/setup"
	handlers "github.com/millrace/millrace/handlers/mailer"
	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/health"
	"github.com/millrace/millrace/internal/idempotency"
	"github.com/millrace/millrace/internal/logging"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/server"
	"github.com/millrace/millrace/internal/service"
	"github.com/millrace/millrace/topology"
)

// Set provides *Mailer sending over SMTP and serving its metrics and health on
// Settings.HTTPAddr: what cmd/mailer runs.
var Set = wire.NewSet(setup.StoreSet, setup.ProvideSMTP, Provide)

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

// New assembles the mailer: the email handlers sending through sender and publishing
// mail.sent on the bus, verification links starting with s.PublicURL (required here;
// registration.ProvideMailerBesideUsers and Provide fill it in). A sender that can be
// pinged (SMTP) joins the readiness checks as "smtp", connecting at most once per
// SMTPCheckTTL; every email sent is logged. It serves no HTTP (see Provide).
func New(s setup.Settings, topo *topology.Topology, b *bus.Bus, svc *account.Service, record *idempotency.Store, sender mail.Sender, o *observability.Observability, logger *slog.Logger) (*Mailer, func(), error) {
	if s.PublicURL == "" {
		return nil, nil, errors.New("mailer: no public URL for verification links")
	}
	logger = logger.With("service", setup.SourceMailer)
	var smtpCheck func(context.Context) error
	if p, ok := sender.(pinger); ok {
		check := health.Cached(health.Check{Name: "smtp", Func: p.Ping}, SMTPCheckTTL)
		if err := o.Health.Add(check); err != nil {
			return nil, nil, fmt.Errorf("mailer: %w", err)
		}
		smtpCheck = check.Func
	}
	sender = mail.Logged(sender, logger)
	events, err := event.NewPublisher(b.Publisher(), event.PublisherConfig{Source: setup.SourceMailer, Topic: account.TopicFunc(s.TopicPrefix),
		Logger: logging.Watermill(logger)})
	if err != nil {
		return nil, nil, fmt.Errorf("mailer: %w", err)
	}
	rt, err := router.New(router.Config{Topology: topo, Bus: b, Logger: logger,
		CloseTimeout: s.ShutdownTimeout, Instruments: o.Instruments(),
		Handlers: []router.Handler{
			handlers.NewSendVerificationEmail(handlers.VerificationEmail{Users: svc, Record: record, Sender: sender, Events: events, PublicURL: s.PublicURL}),
			handlers.NewSendWelcomeEmail(handlers.WelcomeEmail{Record: record, Sender: sender, Events: events}),
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

// Provide assembles the mailer of cmd/mailer: New, the users database in
// its readiness checks, and an HTTP server on Settings.HTTPAddr serving only
// /metrics, /healthz and /readyz. Without Settings.PublicURL, verification links point
// at the users service's default address (setup.DefaultHTTPAddr), not the mailer's own.
func Provide(s setup.Settings, topo *topology.Topology, b *bus.Bus, svc *account.Service, record *idempotency.Store, store *account.Store, sender mail.Sender, o *observability.Observability, logger *slog.Logger) (*Mailer, func(), error) {
	if err := o.Health.Add(health.DB("users", store.DB())); err != nil {
		return nil, nil, fmt.Errorf("mailer: %w", err)
	}
	base, err := s.LinkBase(setup.DefaultHTTPAddr, "the users service's default address "+setup.DefaultHTTPAddr, logger)
	if err != nil {
		return nil, nil, fmt.Errorf("mailer: %w", err)
	}
	s.PublicURL = base
	m, closeMailer, err := New(s, topo, b, svc, record, sender, o, logger)
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
