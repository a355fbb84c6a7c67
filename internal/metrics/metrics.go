package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	wmetrics "github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/router"
)

// Defaults of Config.
const (
	// DefaultNamespace prefixes millrace's own metrics.
	DefaultNamespace = "millrace"
	// WatermillNamespace prefixes the metrics of Watermill's components/metrics.
	WatermillNamespace = "watermill"
)

// DefaultHandlerBuckets are the buckets of the handler duration histogram, in seconds.
var DefaultHandlerBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// DefaultLatencyBuckets are the buckets of the end-to-end and relay latency histograms,
// in seconds: a message may wait in a broker or an outbox for long.
var DefaultLatencyBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900}

// Config configures Metrics.
type Config struct {
	// Namespace prefixes millrace's own metrics (default DefaultNamespace).
	Namespace string
	// Registry receives every metric. Default: a new registry holding the Go runtime
	// and process collectors. Give each service (and each test) its own.
	Registry *prometheus.Registry
	// HandlerBuckets are the handler duration buckets (default DefaultHandlerBuckets).
	HandlerBuckets []float64
	// LatencyBuckets are the end-to-end and relay latency buckets (default
	// DefaultLatencyBuckets).
	LatencyBuckets []float64
	// Now is the clock latencies are measured with (default time.Now).
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
		c.Registry.MustRegister(
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		)
	}
	if c.HandlerBuckets == nil {
		c.HandlerBuckets = DefaultHandlerBuckets
	}
	if c.LatencyBuckets == nil {
		c.LatencyBuckets = DefaultLatencyBuckets
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Metrics holds the Prometheus metrics of one service. It is a router.Instrument (pass
// it in router.Config.Instruments) that also adds Watermill's router metrics, decorates
// publishers (pass DecoratePublisher in bus.Options.PublisherDecorators) and serves
// everything on Handler.
type Metrics struct {
	registry  *prometheus.Registry
	now       func() time.Time
	watermill wmetrics.PrometheusMetricsBuilder
	wrouter   wmetrics.HandlerPrometheusMetricsMiddleware

	handlerDuration *prometheus.HistogramVec
	inFlight        *prometheus.GaugeVec
	retries         *prometheus.CounterVec
	poisoned        *prometheus.CounterVec
	filtered        *prometheus.CounterVec
	deliveries      *prometheus.CounterVec
	endToEnd        *prometheus.HistogramVec

	outboxBacklog  *prometheus.GaugeVec
	outboxLag      *prometheus.HistogramVec
	outboxRelayed  *prometheus.CounterVec
	outboxFailures *prometheus.CounterVec
}

var _ router.WatermillInstrument = (*Metrics)(nil)

// New registers the metrics on cfg.Registry. It fails when a metric of the same name
// is already registered there.
func New(cfg Config) (*Metrics, error) {
	cfg.setDefaults()
	ns := cfg.Namespace
	handlerLabels := []string{"handler", "topic"}
	m := &Metrics{
		registry:  cfg.Registry,
		now:       cfg.Now,
		watermill: wmetrics.NewPrometheusMetricsBuilder(cfg.Registry, WatermillNamespace, ""),
		handlerDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "handler_duration_seconds",
			Help:    "Time one attempt of a handler took, by handler, topic and outcome (ok, retry, poison, nack).",
			Buckets: cfg.HandlerBuckets,
		}, []string{"handler", "topic", "outcome"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "handler_in_flight",
			Help: "Messages being handled now, retries included, by handler and topic.",
		}, handlerLabels),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "handler_retries_total",
			Help: "Failed attempts that the router retries, by handler and topic.",
		}, handlerLabels),
		poisoned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "messages_poisoned_total",
			Help: "Messages published to a poison topic, by handler and the topic they came from.",
		}, handlerLabels),
		filtered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "messages_filtered_total",
			Help: "Messages a handler's or route's filter did not match, acked without calling it, by handler.",
		}, []string{"handler"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "handler_deliveries_total",
			Help: "Deliveries finished, by handler, topic and outcome (ok, filtered, poison, nack).",
		}, []string{"handler", "topic", "outcome"}),
		endToEnd: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "end_to_end_latency_seconds",
			Help:    "Time from an event's ce_time to the end of its successful handling, by handler and topic.",
			Buckets: cfg.LatencyBuckets,
		}, handlerLabels),
		outboxBacklog: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "outbox_backlog_messages",
			Help: "Messages written to an outbox and not relayed yet, by outbox.",
		}, []string{"outbox"}),
		outboxLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "outbox_relay_lag_seconds",
			Help:    "Time from an event's ce_time (written to the outbox) to its relay to the bus, by outbox.",
			Buckets: cfg.LatencyBuckets,
		}, []string{"outbox"}),
		outboxRelayed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "outbox_relayed_total",
			Help: "Messages relayed from an outbox to the bus, by outbox.",
		}, []string{"outbox"}),
		outboxFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "outbox_relay_failures_total",
			Help: "Failed attempts to relay a message from an outbox to the bus, by outbox.",
		}, []string{"outbox"}),
	}
	var errs []error
	for _, c := range []prometheus.Collector{
		m.handlerDuration, m.inFlight, m.retries, m.poisoned, m.filtered, m.deliveries, m.endToEnd,
		m.outboxBacklog, m.outboxLag, m.outboxRelayed, m.outboxFailures,
	} {
		if err := cfg.Registry.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("metrics: register: %w", err)
	}
	wrouter, err := watermillRouterMiddleware(m.watermill)
	if err != nil {
		return nil, err
	}
	m.wrouter = wrouter
	return m, nil
}

// watermillRouterMiddleware builds Watermill's handler metrics middleware, which
// panics when its histogram cannot be registered.
func watermillRouterMiddleware(b wmetrics.PrometheusMetricsBuilder) (m wmetrics.HandlerPrometheusMetricsMiddleware, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("metrics: watermill router metrics: %v", r)
		}
	}()
	return b.NewRouterMiddleware(), nil
}

// Registry returns the registry the metrics are registered on; register the service's
// own metrics here too.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the registry in the Prometheus exposition format, for /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// DecoratePublisher wraps pub with Watermill's publish metrics
// (watermill_publish_time_seconds). Its signature is message.PublisherDecorator.
func (m *Metrics) DecoratePublisher(pub message.Publisher) (message.Publisher, error) {
	d, err := m.watermill.DecoratePublisher(pub)
	if err != nil {
		return nil, fmt.Errorf("metrics: decorate publisher: %w", err)
	}
	return d, nil
}

// InstrumentWatermill adds Watermill's handler execution time histogram and decorates
// the router's subscribers with its received-messages counter.
func (m *Metrics) InstrumentWatermill(r *message.Router) error {
	r.AddSubscriberDecorators(m.watermill.DecorateSubscriber)
	r.AddMiddleware(m.wrouter.Middleware)
	return nil
}

// StartDelivery counts the message in flight; its end records the delivery's outcome,
// the poisoned counter and the end-to-end latency of a handled event.
func (m *Metrics) StartDelivery(ctx context.Context, reg router.Registration, msg *message.Message) (context.Context, func(router.Outcome)) {
	inFlight := m.inFlight.WithLabelValues(reg.Handler, reg.Topic)
	inFlight.Inc()
	return ctx, func(o router.Outcome) {
		inFlight.Dec()
		m.deliveries.WithLabelValues(reg.Handler, reg.Topic, string(o)).Inc()
		switch o {
		case router.OutcomePoison:
			m.poisoned.WithLabelValues(reg.Handler, reg.Topic).Inc()
		case router.OutcomeFiltered:
			m.filtered.WithLabelValues(reg.Handler).Inc()
		case router.OutcomeOK:
			if t, ok := eventTime(msg); ok {
				m.endToEnd.WithLabelValues(reg.Handler, reg.Topic).Observe(m.now().Sub(t).Seconds())
			}
		}
	}
}

// StartAttempt times the attempt; its end records the duration by outcome and counts
// a retry.
func (m *Metrics) StartAttempt(ctx context.Context, reg router.Registration, _ *message.Message, _ int) (context.Context, func(router.Outcome, error)) {
	start := m.now()
	return ctx, func(o router.Outcome, _ error) {
		m.handlerDuration.WithLabelValues(reg.Handler, reg.Topic, string(o)).Observe(m.now().Sub(start).Seconds())
		if o == router.OutcomeRetry {
			m.retries.WithLabelValues(reg.Handler, reg.Topic).Inc()
		}
	}
}

// eventTime returns the ce_time of msg, if it has a valid one.
func eventTime(msg *message.Message) (time.Time, bool) {
	raw := msg.Metadata.Get(metadata.KeyTime)
	if raw == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
