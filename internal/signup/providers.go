package signup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/wire"

	"github.com/millrace/millrace/handlers"
	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/logging"
	"github.com/millrace/millrace/internal/mail"
	"github.com/millrace/millrace/internal/outbox"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/server"
	"github.com/millrace/millrace/internal/userapi"
	"github.com/millrace/millrace/internal/users"
	"github.com/millrace/millrace/topology"
)

// Service names, the ce_source of the events each publishes.
const (
	SourceUsers  = "users"
	SourceMailer = "mailer"
)

// UsersSet provides *Users: what cmd/users runs.
var UsersSet = wire.NewSet(ProvideStore, ProvideOutbox, ProvideService, NewUsers)

// MailerSet provides *Mailer sending over SMTP: what cmd/mailer runs.
var MailerSet = wire.NewSet(ProvideStore, ProvideOutbox, ProvideService, ProvideSMTP, NewMailer)

// ProvideStore opens the users database the settings and topology name.
func ProvideStore(ctx context.Context, topo *topology.Topology, s Settings, logger *slog.Logger) (*users.Store, func(), error) {
	dialect, dsn, err := s.database(topo)
	if err != nil {
		return nil, nil, err
	}
	store, err := users.Open(ctx, dialect, dsn)
	if err != nil {
		return nil, nil, err
	}
	return store, func() {
		if err := store.Close(); err != nil {
			logger.Error("close users store", "error", err)
		}
	}, nil
}

// ProvideOutbox returns the outbox in the users database.
func ProvideOutbox(ctx context.Context, store *users.Store, s Settings, logger *slog.Logger) (*outbox.Outbox, error) {
	return outbox.New(ctx, store.DB(), outbox.Config{
		Dialect:      store.Dialect(),
		Topic:        s.OutboxTopic,
		Source:       SourceUsers,
		EventTopic:   users.TopicFunc(s.TopicPrefix),
		PollInterval: s.OutboxPoll,
	}, logging.Watermill(logger))
}

// ProvideService returns the users service.
func ProvideService(store *users.Store, ob *outbox.Outbox, s Settings) (*users.Service, error) {
	return users.NewService(store, ob, users.Config{TokenTTL: s.TokenTTL, Argon2: s.Argon2})
}

// ProvideSMTP returns the SMTP sender of the settings.
func ProvideSMTP(s Settings) (mail.Sender, error) {
	return mail.NewSMTP(mail.SMTPConfig{Addr: s.SMTPAddr, From: s.From})
}

// Users is the users service: HTTP API, outbox relay and the stats handler.
type Users struct {
	HTTP   *server.HTTP
	Relay  *outbox.Relay
	Router *router.Router
	API    *userapi.API
}

// NewUsers assembles the users service; nothing runs before Run.
func NewUsers(s Settings, topo *topology.Topology, b *bus.Bus, svc *users.Service, ob *outbox.Outbox, logger *slog.Logger) (*Users, func(), error) {
	stats, err := handlers.NewUpdateUserStats(svc)
	if err != nil {
		return nil, nil, err
	}
	rt, err := router.New(router.Config{Topology: topo, Bus: b, Logger: logger.With("service", SourceUsers),
		Handlers: []router.Handler{stats}})
	if err != nil {
		return nil, nil, fmt.Errorf("users: %w", err)
	}
	relay, err := ob.NewRelay(b.Publisher())
	if err != nil {
		return nil, nil, errors.Join(err, rt.Close())
	}
	api := userapi.New(svc, logger.With("service", SourceUsers))
	srv, err := server.Listen(server.HTTPConfig{Addr: s.HTTPAddr, Handler: api.Handler(), Logger: logger})
	if err != nil {
		return nil, nil, errors.Join(err, relay.Close(), rt.Close())
	}
	u := &Users{HTTP: srv, Relay: relay, Router: rt, API: api}
	return u, func() {
		if err := errors.Join(srv.Close(), relay.Close(), rt.Close()); err != nil {
			logger.Error("close users service", "error", err)
		}
	}, nil
}

// Run serves HTTP, relays the outbox and runs the stats handler until ctx is done.
func (u *Users) Run(ctx context.Context) error {
	return server.Run(ctx, u.HTTP.Run, u.Relay.Run, u.Router.Run)
}

// Mailer runs the email handlers.
type Mailer struct {
	Router *router.Router
}

// NewMailer assembles the mailer: the email handlers sending through sender and
// publishing mail.sent on the bus.
func NewMailer(s Settings, topo *topology.Topology, b *bus.Bus, svc *users.Service, sender mail.Sender, logger *slog.Logger) (*Mailer, func(), error) {
	events, err := event.NewBus(b.Publisher(), event.BusConfig{Source: SourceMailer, Topic: users.TopicFunc(s.TopicPrefix),
		Logger: logging.Watermill(logger)})
	if err != nil {
		return nil, nil, fmt.Errorf("mailer: %w", err)
	}
	rt, err := router.New(router.Config{Topology: topo, Bus: b, Logger: logger.With("service", SourceMailer),
		Handlers: []router.Handler{
			handlers.NewSendVerificationEmail(handlers.VerificationEmail{Users: svc, Sender: sender, Events: events, PublicURL: s.PublicURL}),
			handlers.NewSendWelcomeEmail(handlers.WelcomeEmail{Users: svc, Sender: sender, Events: events}),
		}})
	if err != nil {
		return nil, nil, fmt.Errorf("mailer: %w", err)
	}
	return &Mailer{Router: rt}, func() {
		if err := rt.Close(); err != nil {
			logger.Error("close mailer", "error", err)
		}
	}, nil
}

// Run runs the email handlers until ctx is done.
func (m *Mailer) Run(ctx context.Context) error { return m.Router.Run(ctx) }
