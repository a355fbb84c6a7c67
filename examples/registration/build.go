package registration

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/outbox"
	"github.com/millrace/millrace/internal/server"
	"github.com/millrace/millrace/topology"
)

// ServiceRegistration names the users service and mailer run in one process (Build)
// in traces.
const ServiceRegistration observability.ServiceName = "registration"

// App is the users service and the mailer in one process, sharing a bus, the users
// database and one observability: the users HTTP server serves /metrics, /healthz and
// /readyz for both.
type App struct {
	Obs     *observability.Observability
	Bus     *bus.Bus
	Store   *account.Store
	Outbox  *outbox.Outbox
	Service *account.Service
	Users   *Users
	Mailer  *Mailer
}

// Build assembles an App from the same providers the binaries use, sending email
// through sender. Without s.PublicURL, verification links point at the address the
// users HTTP server listens on (a ":0" port resolved). The cleanup closes everything in
// reverse order.
func Build(ctx context.Context, topo *topology.Topology, s Settings, sender mail.Sender, logger *slog.Logger) (*App, func(), error) {
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	fail := func(err error) (*App, func(), error) {
		cleanup()
		return nil, nil, err
	}
	o, closeObs, err := observability.Provide(ctx, ServiceRegistration, logger)
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, closeObs)
	b, closeBus, err := observability.ProvideBus(topo, o, logger)
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, closeBus)
	store, closeStore, err := ProvideStore(ctx, topo, s, logger)
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, closeStore)
	ob, err := ProvideOutbox(ctx, store, s, o, logger)
	if err != nil {
		return fail(err)
	}
	svc, err := ProvideService(store, ob, s)
	if err != nil {
		return fail(err)
	}
	u, closeUsers, err := NewUsers(s, topo, b, svc, ob, store, o, logger)
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, closeUsers)
	ms := s
	if ms.PublicURL, err = s.publicURL(u.HTTP.Addr(), "the users service's address", logger); err != nil {
		return fail(fmt.Errorf("mailer: %w", err))
	}
	m, closeMailer, err := NewMailer(ms, topo, b, svc, sender, o, logger)
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, closeMailer)
	return &App{Obs: o, Bus: b, Store: store, Outbox: ob, Service: svc, Users: u, Mailer: m}, cleanup, nil
}

// Run runs the users service and the mailer until ctx is done or one fails.
func (a *App) Run(ctx context.Context) error {
	if a == nil {
		return errors.New("registration: nil app")
	}
	return server.Run(ctx, a.Users.Run, a.Mailer.Run)
}
