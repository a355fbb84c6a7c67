package tracing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// InstrumentationName names the tracer of this package.
const InstrumentationName = "github.com/millrace/millrace/internal/tracing"

// Config configures New.
type Config struct {
	// ServiceName is the service.name resource attribute unless OTEL_SERVICE_NAME
	// overrides it. Required.
	ServiceName string
	// Getenv reads the environment variables that decide whether tracing is on
	// (default os.Getenv). The OTLP exporter and the SDK read their own settings
	// (endpoint, headers, sampler, batching) from the process environment.
	Getenv func(string) string
}

// Tracing traces publishing and handling: it decorates publishers (a producer span per
// message, W3C traceparent injected into its metadata) and is a router.Instrument (a
// consumer span per handler attempt, child of the publish span the message carries).
type Tracing struct {
	provider   trace.TracerProvider
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	shutdown   func(context.Context) error
	enabled    bool
}

// Propagator returns the propagator millrace uses: W3C Trace Context (traceparent,
// tracestate) and W3C Baggage.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// New configures tracing from the standard OpenTelemetry environment variables. It is
// off, with a no-op tracer provider that still passes on the trace context messages
// carry, unless an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); OTEL_SDK_DISABLED=true and
// OTEL_TRACES_EXPORTER=none turn it off too. When on, spans are batched to the OTLP
// HTTP exporter. Shutdown flushes them.
func New(ctx context.Context, cfg Config) (*Tracing, error) {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.ServiceName == "" {
		return nil, errors.New("tracing: missing ServiceName")
	}
	on, err := enabled(cfg.Getenv)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	if !on {
		return NewWithProvider(noop.NewTracerProvider()), nil
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", cfg.ServiceName)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("tracing: resource: %w", err), exporter.Shutdown(ctx))
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	t := NewWithProvider(tp)
	t.shutdown = tp.Shutdown
	t.enabled = true
	return t, nil
}

// enabled decides from the environment whether spans are exported.
func enabled(getenv func(string) string) (bool, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false, nil
	}
	switch exp := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exp {
	case "", "otlp":
	case "none":
		return false, nil
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: only otlp and none are supported", exp)
	}
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return false, nil
	}
	for _, key := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := strings.TrimSpace(getenv(key)); p != "" {
			if p != "http/protobuf" {
				return false, fmt.Errorf("%s=%q: only http/protobuf is supported", key, p)
			}
			break
		}
	}
	return true, nil
}

// NewWithProvider returns tracing through tp, for tests (an SDK provider with a
// tracetest.SpanRecorder) or a provider configured elsewhere. Shutdown does not shut
// tp down.
func NewWithProvider(tp trace.TracerProvider) *Tracing {
	_, noopProvider := tp.(noop.TracerProvider)
	return &Tracing{
		provider:   tp,
		tracer:     tp.Tracer(InstrumentationName),
		propagator: Propagator(),
		shutdown:   func(context.Context) error { return nil },
		enabled:    !noopProvider,
	}
}

// Enabled reports whether spans are recorded.
func (t *Tracing) Enabled() bool { return t.enabled }

// TracerProvider returns the provider, for instrumenting other libraries (HTTP, SQL).
func (t *Tracing) TracerProvider() trace.TracerProvider { return t.provider }

// Shutdown flushes the spans not exported yet and stops the exporter. Call it after
// the router and publishers are closed.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if err := t.shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: shutdown: %w", err)
	}
	return nil
}
