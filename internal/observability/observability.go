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
}

// Observability is the metrics, tracing and health of one service.
type Observability struct {
	Metrics *metrics.Metrics
	Tracing *tracing.Tracing
	Health  *health.Health
}

// New builds the metrics registry, tracing (off unless the environment configures
// an OTLP endpoint) and an empty set of readiness checks.
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
	return &Observability{Metrics: m, Tracing: tr, Health: h}, nil
}

// PublisherDecorators are the decorators for bus.Options.PublisherDecorators:
// Watermill's publish metrics, then trace propagation (outermost).
func (o *Observability) PublisherDecorators() []message.PublisherDecorator {
	return []message.PublisherDecorator{o.Metrics.DecoratePublisher, o.Tracing.DecoratePublisher}
}

// Instruments are the instruments for router.Config.Instruments.
func (o *Observability) Instruments() []router.Instrument {
	return []router.Instrument{o.Metrics, o.Tracing}
}

// Register adds GET /metrics, GET /healthz and GET /readyz to mux.
func (o *Observability) Register(mux *http.ServeMux) {
	mux.Handle("GET /metrics", o.Metrics.Handler())
	o.Health.Register(mux)
}

// HTTPMiddleware traces the requests next serves.
func (o *Observability) HTTPMiddleware(next http.Handler) http.Handler {
	return o.Tracing.HTTPMiddleware(next)
}

// OpenBus opens the bus of topo with the publisher decorators and adds a readiness
// check per transport.
func (o *Observability) OpenBus(topo *topology.Topology, opts bus.Options) (*bus.Bus, error) {
	opts.PublisherDecorators = append(opts.PublisherDecorators, o.PublisherDecorators()...)
	b, err := bus.Open(topo, opts)
	if err != nil {
		return nil, err
	}
	if err := o.Health.Add(health.TransportChecks(b)...); err != nil {
		return nil, errors.Join(fmt.Errorf("observability: %w", err), b.Close())
	}
	return b, nil
}

// Close marks the service not ready and flushes the spans not exported yet. Call it
// after the router and the bus are closed.
func (o *Observability) Close(ctx context.Context) error {
	o.Health.Drain()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	return o.Tracing.Shutdown(ctx)
}

// busOptions are the bus options of a service logging to logger.
func busOptions(logger *slog.Logger) bus.Options {
	return bus.Options{Logger: logging.Watermill(logger)}
}
