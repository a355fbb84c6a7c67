package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/health"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/server"
	"github.com/millrace/millrace/internal/service"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// RoutesService names the process `millrace routes` runs in traces and logs.
const RoutesService = "millrace-routes"

func newRoutesCommand(connect Connector) *cobra.Command {
	var (
		flags    topologyFlags
		names    []string
		httpAddr string
	)
	cmd := &cobra.Command{
		Use:   "routes [--route NAME]... [--topology T] [--http-addr ADDR]",
		Short: "Run the routes of a topology, forwarding the messages their filters match, until interrupted",
		Long: `Routes runs the routes of the topology: each route consumes its from topics as the
consumer group of its own name and forwards a copy of every message its filter matches
to its to topic, with the retry and poison policy of a handler. Messages the filter
does not match are acknowledged and dropped. With --route NAME (repeatable) it runs only
the routes named, so that routes can be spread over processes; without, it runs every
route of the topology. A name the topology does not have is a usage error (exit 2) that
lists the routes it has; a topology without routes is an error (exit 1).

Each route run is logged at info with its name, the topics it consumes and its
destination. A forwarded copy keeps the payload and metadata (event id, type, source,
correlation id, trace context); its message id is derived from the route name and the
original message id, the same each time a redelivered message is forwarded again, so a
consumer that records processed message ids skips the duplicate; its causation id is
the original message id. A route on an in-memory topic is run with a warning: such
messages live inside each process, and this one sees only what it publishes itself.

With --http-addr ADDR (default: none; ":0" picks a free port, logged) it serves
/healthz, /readyz (ready once every route has subscribed and its transports answer)
and /metrics (millrace_handler_deliveries_total and the other handler metrics, labelled
with the route name as handler).

It runs until interrupted (SIGINT or SIGTERM). Then /readyz reports draining, the routes
stop taking messages and the messages in flight finish, then the HTTP server stops;
each stop is bounded by ` + service.EnvShutdownTimeout + ` (default ` + service.DefaultStopTimeout.String() + `). It exits 0 after a
clean stop. ` + service.EnvLogLevel + ` sets the log level (default info).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src := config.SourceOf(flags.topology, os.Getenv, "")
			topo, err := config.Load(src)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return silent
			}
			selected, err := selectRoutes(topo, names)
			if err != nil {
				return err
			}
			settings, err := service.FromEnv(os.Getenv, service.Defaults{})
			if err != nil {
				return err
			}
			logger, err := settings.Logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return Fail(runRoutes(cmd.Context(), routesRun{
				connect: connect, src: src, routes: selected, httpAddr: httpAddr,
				settings: settings, logger: logger.With("service", RoutesService),
			}))
		},
	}
	flags.addTopology(cmd)
	cmd.Flags().StringArrayVar(&names, "route", nil, "run only the route NAME (repeatable; default: every route of the topology)")
	cmd.Flags().StringVar(&httpAddr, "http-addr", "", `serve /healthz, /readyz and /metrics on this address, such as ":8085" or ":0" (default: none)`)
	return cmd
}

// selectRoutes returns the names of the routes of topo that the --route flags name, in
// the order given and without repeats, or every route when none is named. A topology
// without routes is a failure; a name topo does not have is a usage error listing the
// routes it has.
func selectRoutes(topo *topology.Topology, names []string) ([]string, error) {
	all := router.AllRoutes(topo)
	if len(all) == 0 {
		return nil, Fail(fmt.Errorf("topology %s has no routes: add a routes section (routes: {NAME: {from: TOPIC, filter: PATTERN, to: TOPIC}})", topo.File))
	}
	if len(names) == 0 {
		return all, nil
	}
	var (
		selected []string
		unknown  []string
	)
	for _, name := range names {
		switch {
		case !slices.Contains(all, name):
			unknown = append(unknown, fmt.Sprintf("%q", name))
		case !slices.Contains(selected, name):
			selected = append(selected, name)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("--route %s: not a route of %s (its routes: %s)",
			strings.Join(unknown, ", "), topo.File, strings.Join(all, ", "))
	}
	return selected, nil
}

// routesRun is what runRoutes runs.
type routesRun struct {
	connect  Connector
	src      config.Source
	routes   []string
	httpAddr string
	settings service.Settings
	logger   *slog.Logger
}

// runRoutes opens the bus through r.connect, runs the routes r names (and the HTTP
// server of their metrics and health when r.httpAddr is set) until ctx is done, then
// stops them in stages: the routes, whose messages in flight finish, then the HTTP
// server, which answers /readyz "draining" meanwhile.
func runRoutes(ctx context.Context, r routesRun) (err error) {
	b, closeBus, err := r.connect(r.src, r.logger)
	if err != nil {
		return err
	}
	topo := b.Topology()
	o, err := observability.New(ctx, observability.Config{Service: RoutesService, Logger: r.logger, Topology: topo})
	if err != nil {
		closeBus()
		return err
	}
	// The routes close before the bus, and the observability last, once nothing
	// publishes or handles.
	var rt *router.Router
	defer func() {
		if rt != nil {
			if cerr := rt.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("close routes: %w", cerr))
			}
		}
		closeBus()
		if cerr := o.Close(ctx); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close observability: %w", cerr))
		}
	}()
	if err := o.Health.Add(health.TransportChecks(b)...); err != nil {
		return err
	}
	pub, err := observedPublisher(b.Publisher(), o)
	if err != nil {
		return err
	}
	rt, err = router.New(router.Config{Topology: topo, Bus: observedBus{b, pub}, Logger: r.logger,
		CloseTimeout: r.settings.ShutdownTimeout, Instruments: o.Instruments(), Routes: r.routes})
	if err != nil {
		return err
	}
	if err := o.Health.Add(health.Check{Name: "routes", Func: func(context.Context) error {
		select {
		case <-rt.Running():
			return nil
		default:
			return errors.New("routes not subscribed yet")
		}
	}}); err != nil {
		return err
	}
	for _, name := range r.routes {
		route, _ := topo.Route(name)
		r.logger.Info("running route", "route", route.Name, "from", route.Topics, "to", route.To)
		if inMemory := inProcessTopics(topo, append(slices.Clone(route.Topics), route.To)); len(inMemory) > 0 {
			r.logger.Warn("route on in-memory topics: their messages live inside each process, so this one sees only what it publishes itself",
				"route", route.Name, "topics", inMemory)
		}
	}

	stages := []service.Stage{{Name: "routes", Runners: []server.Runner{rt.Run, announce(rt, r.logger, len(r.routes))}}}
	if r.httpAddr != "" {
		mux := http.NewServeMux()
		o.Register(mux)
		srv, err := server.Listen(server.HTTPConfig{Addr: r.httpAddr, Handler: o.HTTPMiddleware(mux),
			ShutdownTimeout: r.settings.ShutdownTimeout, Logger: r.logger})
		if err != nil {
			return err
		}
		defer srv.Close()
		r.logger.Info("serving /healthz, /readyz and /metrics", "addr", srv.Addr())
		stages = append(stages, service.Stage{Name: "http", Runners: []server.Runner{srv.Run}})
	}
	err = service.Run(ctx, service.Config{Drain: o.Health.Drain, StopTimeout: r.settings.ShutdownTimeout,
		Logger: r.logger, Stages: stages})
	if err == nil {
		r.logger.Info("routes stopped")
	}
	return err
}

// inProcessTopics returns those of topics that are on an in-process transport of topo.
func inProcessTopics(topo *topology.Topology, topics []string) []string {
	var out []string
	for _, topic := range topics {
		tp, err := topo.Resolve(topic)
		if err != nil {
			continue
		}
		if tr, ok := topo.Transport(tp.Transport); ok && transport.InProcess(tr.Kind) {
			out = append(out, topic)
		}
	}
	return out
}

// announce returns a runner that logs once every route has subscribed.
func announce(rt *router.Router, logger *slog.Logger, n int) server.Runner {
	return func(ctx context.Context) error {
		select {
		case <-rt.Running():
			logger.Info("routes running", "routes", n)
		case <-ctx.Done():
		}
		return nil
	}
}

// observedPublisher wraps pub, the bus's shared publisher, in the publisher decorators of
// o: publish metrics, trace propagation and, with a delivery log, its publish records.
func observedPublisher(pub message.Publisher, o *observability.Observability) (message.Publisher, error) {
	decorators := o.PublisherDecorators()
	if o.DeliveryLog != nil {
		decorators = append(decorators, o.DeliveryLog.DecoratePublisher)
	}
	for _, d := range decorators {
		var err error
		if pub, err = d(pub); err != nil {
			return nil, err
		}
	}
	return pub, nil
}

// observedBus is a bus whose shared publisher, which the routes forward and poison
// through, is observed.
type observedBus struct {
	*bus.Bus
	pub message.Publisher
}

// Publisher returns the observed shared publisher.
func (b observedBus) Publisher() message.Publisher { return b.pub }
