package registration

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/wire"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/examples/registration/mailer"
	"github.com/millrace/millrace/examples/registration/setup"
	"github.com/millrace/millrace/examples/registration/users"
	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/idempotency"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/outbox"
	"github.com/millrace/millrace/internal/server"
	"github.com/millrace/millrace/topology"
)

// Settings are the settings of the registration services (see setup.Settings).
type Settings = setup.Settings

// FromEnv reads Settings from the environment (see setup.FromEnv).
func FromEnv(getenv func(string) string) (Settings, error) { return setup.FromEnv(getenv) }

// ServiceRegistration names the users service and mailer run in one process (Build)
// in traces.
const ServiceRegistration observability.ServiceName = "registration"

// App is the users service and the mailer in one process, sharing a bus, the users
// database and one observability: the users HTTP server serves /metrics, /healthz and
// /readyz for both.
type App struct {
	Obs    *observability.Observability
	Bus    *bus.Bus
	Store  *account.Store
	Record *idempotency.Store
	Outbox *outbox.Outbox
	// Service is the users domain service (accounts and tokens).
	Service *account.Service
	Users   *users.Users
	Mailer  *mailer.Mailer
}

// AppSet provides *App: the users service and the mailer in one process, for Build.
var AppSet = wire.NewSet(setup.StoreSet, users.New, ProvideMailerBesideUsers, wire.Struct(new(App), "*"))

// ProvideMailerBesideUsers assembles the mailer of an App with mailer.New: without
// s.PublicURL, verification links point at the address the users HTTP server listens
// on (a ":0" port resolved). It serves no HTTP: the users server serves its metrics
// and health.
func ProvideMailerBesideUsers(s Settings, u *users.Users, topo *topology.Topology, b *bus.Bus, svc *account.Service, record *idempotency.Store, sender mail.Sender, o *observability.Observability, logger *slog.Logger) (*mailer.Mailer, func(), error) {
	base, err := s.LinkBase(u.HTTP.Addr(), "the users service's address", logger)
	if err != nil {
		return nil, nil, fmt.Errorf("mailer: %w", err)
	}
	s.PublicURL = base
	return mailer.New(s, topo, b, svc, record, sender, o, logger)
}

// Run runs the users service and the mailer until ctx is done or one fails.
func (a *App) Run(ctx context.Context) error {
	if a == nil {
		return errors.New("registration: nil app")
	}
	return server.Run(ctx, a.Users.Run, a.Mailer.Run)
}
