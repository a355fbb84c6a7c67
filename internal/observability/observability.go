package observability

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/internal/health"
	"github.com/millrace/millrace/internal/logging"
	"github.com/millrace/millrace/internal/metrics"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/tracing"
	"github.com/millrace/millrace/topology"
)

// ShutdownTimeout bounds how long Close waits for the last spans to be exported.
const ShutdownTimeout = 5 * time.Second

// Config configures New.
type Config struct {
	// Service names the service in traces (unless OTEL_SERVICE_NAME overrides it).
	// Required.
	Service string
	// Getenv reads the OTEL_* variables that turn tracing on (default os.Getenv).
	Getenv func(string) string
	// Logger receives failed readiness checks (default: discarded).
	Logger *slog.Logger
	// HealthTimeout bounds each readiness check (default health.DefaultTimeout).
	HealthTimeout time.Duration
	// Topology, when it has a trace section, gives the service a delivery log in the
	// store it names. Optional.
	Topology *topology.Topology
}

// Observability is the metrics, tracing and health of one service, and its delivery
// log when the topology has a trace section.
type Observability struct {
	Metrics *metrics.Metrics
	Tracing *tracing.Tracing
	Health  *health.Health
	// DeliveryLog records publishes and handler outcomes for `millrace trace`; New
	// opens it when Config.Topology names a trace store, else it is nil. The methods
	// below may be called in any order.
	DeliveryLog *deliverylog.Log

	service string
	logger  *slog.Logger
}

// New builds the metrics registry, tracing (off unless the environment configures
// an OTLP endpoint), an empty set of readiness checks and, when the topology names a
// trace store, the delivery log.
func New(ctx context.Context, cfg Config) (*Observability, error) {
	if cfg.Service == "" {
		return nil, errors.New("observability: missing Service")
	}
	m, err := metrics.New(metrics.Config{})
	if err != nil {
		return nil, fmt.Errorf("observability: %w", err)
	}
	tr, err := tracing.New(ctx, tracing.Config{ServiceName: cfg.Service, Getenv: cfg.Getenv})
	if err != nil {
		return nil, fmt.Errorf("observability: %w", err)
	}
	h, err := health.New(health.Config{Timeout: cfg.HealthTimeout, Logger: cfg.Logger})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("observability: %w", err), tr.Shutdown(ctx))
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	o := &Observability{Metrics: m, Tracing: tr, Health: h, service: cfg.Service, logger: logger}
	if cfg.Topology != nil && cfg.Topology.Trace != nil {
		dl, err := deliverylog.Open(context.WithoutCancel(ctx), deliverylog.Config{Topology: cfg.Topology, Logger: logger})
		if err != nil {
			return nil, errors.Join(fmt.Errorf("observability: %w", err), tr.Shutdown(ctx))
		}
		o.DeliveryLog = dl
	}
	return o, nil
}

// PublisherDecorators are the decorators for bus.Options.PublisherDecorators:
// Watermill's publish metrics, then trace propagation (outermost).
func (o *Observability) PublisherDecorators() []message.PublisherDecorator {
	return []message.PublisherDecorator{o.Metrics.DecoratePublisher, o.Tracing.DecoratePublisher}
}

// Instruments are the instruments for router.Config.Instruments, the delivery log's
// included.
func (o *Observability) Instruments() []router.Instrument {
	ins := []router.Instrument{o.Metrics, o.Tracing}
	if o.DeliveryLog != nil {
		ins = append(ins, o.DeliveryLog)
	}
	return ins
}

// Register adds GET /metrics, GET /healthz and GET /readyz to mux, and GET
// /trace/{correlation_id} when the service keeps a delivery log.
func (o *Observability) Register(mux *http.ServeMux) {
	mux.Handle("GET /metrics", o.Metrics.Handler())
	o.Health.Register(mux)
	if o.DeliveryLog != nil {
		mux.Handle("/trace/", deliverylog.Handler(o.DeliveryLog, o.logger))
	}
}

// HTTPMiddleware traces the requests next serves and, with a delivery log, records
// them as the roots of their flows.
func (o *Observability) HTTPMiddleware(next http.Handler) http.Handler {
	if o.DeliveryLog != nil {
		next = o.DeliveryLog.HTTPMiddleware(o.service, next)
	}
	return o.Tracing.HTTPMiddleware(next)
}

// OpenBus opens the bus of topo with the publisher decorators (the delivery log's
// included) and adds a readiness check per transport.
func (o *Observability) OpenBus(topo *topology.Topology, opts bus.Options) (*bus.Bus, error) {
	opts.PublisherDecorators = append(opts.PublisherDecorators, o.PublisherDecorators()...)
	if o.DeliveryLog != nil {
		opts.PublisherDecorators = append(opts.PublisherDecorators, o.DeliveryLog.DecoratePublisher)
	}
	b, err := bus.Open(topo, opts)
	if err != nil {
		return nil, err
	}
	if err := o.Health.Add(health.TransportChecks(b)...); err != nil {
		return nil, errors.Join(fmt.Errorf("observability: %w", err), b.Close())
	}
	return b, nil
}

// Close marks the service not ready, writes the delivery log's last rows and flushes
// the spans not exported yet. Call it after the router and the bus are closed.
func (o *Observability) Close(ctx context.Context) error {
	o.Health.Drain()
	var errs []error
	if o.DeliveryLog != nil {
		errs = append(errs, o.DeliveryLog.Close())
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	return errors.Join(append(errs, o.Tracing.Shutdown(ctx))...)
}

// busOptions are the bus options of a service logging to logger.
func busOptions(logger *slog.Logger) bus.Options {
	return bus.Options{Logger: logging.Watermill(logger)}
}
