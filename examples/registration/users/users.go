// Package users assembles the users service of the registration example: its HTTP
// API, the outbox relay and the update-user-stats handler; cmd/users runs it.
package users

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/wire"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/setup"
	"github.com/millrace/millrace/examples/registration/userapi"
	handlers "github.com/millrace/millrace/handlers/users"
	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/health"
	"github.com/millrace/millrace/internal/idempotency"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/outbox"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/server"
	"github.com/millrace/millrace/internal/service"
	"github.com/millrace/millrace/topology"
)

// BacklogInterval is how often the users service counts the outbox rows not relayed
// yet, for the millrace_outbox_backlog_messages gauge.
const BacklogInterval = 5 * time.Second

// Set provides *Users: what cmd/users runs.
var Set = wire.NewSet(setup.StoreSet, New)

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

// New assembles the users service and adds the users database to the readiness
// checks of o; nothing runs before Run.
func New(s setup.Settings, topo *topology.Topology, b *bus.Bus, svc *account.Service, record *idempotency.Store, ob *outbox.Outbox, store *account.Store, o *observability.Observability, logger *slog.Logger) (*Users, func(), error) {
	if err := o.Health.Add(health.DB("users", store.DB())); err != nil {
		return nil, nil, fmt.Errorf("users: %w", err)
	}
	stats, err := handlers.NewUpdateUserStats(svc, record)
	if err != nil {
		return nil, nil, err
	}
	rt, err := router.New(router.Config{Topology: topo, Bus: b, Logger: logger.With("service", setup.SourceUsers),
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
	api := userapi.New(svc, logger.With("service", setup.SourceUsers))
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
