package metrics_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/metrics"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/router/routertest"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// wait bounds every wait for a condition.
const wait = 30 * time.Second

type orderPlaced struct {
	ID   string `json:"id"`
	Fail bool   `json:"fail"`
}

func (orderPlaced) EventName() string { return "orders.placed" }
func (orderPlaced) EventVersion() int { return 1 }

func suffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// scrape fetches url and parses the Prometheus text exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape: %s: %s", resp.Status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return fams
}

// find returns the metric of family name whose labels include want, or nil.
func find(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	fam := fams[name]
	if fam == nil {
		return nil
	}
next:
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

func counter(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	m := find(fams, name, labels)
	if m == nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

func histogramCount(fams map[string]*dto.MetricFamily, name string, labels map[string]string) uint64 {
	m := find(fams, name, labels)
	if m == nil {
		return 0
	}
	return m.GetHistogram().GetSampleCount()
}

// TestScrapeAfterRetryAndPoison runs a handler on the in-memory transport that fails
// one event on every attempt and handles another, then scrapes /metrics.
func TestScrapeAfterRetryAndPoison(t *testing.T) {
	s := suffix(t)
	topic := "orders." + s
	topo, err := topology.Parse("metrics-test.yaml", []byte(strings.ReplaceAll(`version: 1
transports:
  mem: {kind: gochannel}
defaults:
  retry: {max_attempts: 3, initial_interval: 5ms, max_interval: 10ms, multiplier: 2}
  poison: {topic: "{topic}.poison"}
topics:
  orders.{s}: {transport: mem}
  orders.{s}.poison: {transport: mem}
handlers:
  ship-{s}: {topic: orders.{s}}
`, "{s}", s)))
	if err != nil {
		t.Fatal(err)
	}
	published := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m, err := metrics.New(metrics.Config{Now: func() time.Time { return published.Add(2 * time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)

	b, err := bus.Open(topo, bus.Options{PublisherDecorators: []message.PublisherDecorator{m.DecoratePublisher}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	handler := event.NewHandler("ship-"+s, func(_ context.Context, ev *orderPlaced) error {
		if ev.Fail {
			return errors.New("warehouse down")
		}
		return nil
	})
	routertest.Start(t, router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{handler},
		Instruments: []router.Instrument{m}, CloseTimeout: 10 * time.Second})

	events, err := event.NewPublisher(b.Publisher(), event.PublisherConfig{Source: "test", Now: func() time.Time { return published },
		Topic: func(event.Event) string { return topic }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := events.Publish(ctx, orderPlaced{ID: "1", Fail: true}); err != nil {
		t.Fatal(err)
	}
	if err := events.Publish(ctx, orderPlaced{ID: "2"}); err != nil {
		t.Fatal(err)
	}

	h := "ship-" + s
	labels := map[string]string{"handler": h, "topic": topic}
	var fams map[string]*dto.MetricFamily
	testenv.Eventually(t, "the poisoned and the handled delivery", wait, func() bool {
		fams = scrape(t, srv.URL+"/metrics")
		return counter(fams, "millrace_handler_deliveries_total", map[string]string{"handler": h, "outcome": "poison"}) == 1 &&
			counter(fams, "millrace_handler_deliveries_total", map[string]string{"handler": h, "outcome": "ok"}) == 1
	})

	if got := counter(fams, "millrace_handler_retries_total", labels); got != 2 {
		t.Errorf("millrace_handler_retries_total%v = %v, want 2", labels, got)
	}
	if got := counter(fams, "millrace_messages_poisoned_total", labels); got != 1 {
		t.Errorf("millrace_messages_poisoned_total%v = %v, want 1", labels, got)
	}
	for outcome, want := range map[string]uint64{"retry": 2, "poison": 1, "ok": 1} {
		l := map[string]string{"handler": h, "topic": topic, "outcome": outcome}
		if got := histogramCount(fams, "millrace_handler_duration_seconds", l); got != want {
			t.Errorf("millrace_handler_duration_seconds_count%v = %d, want %d", l, got, want)
		}
	}
	if m := find(fams, "millrace_handler_in_flight", labels); m == nil || m.GetGauge().GetValue() != 0 {
		t.Errorf("millrace_handler_in_flight%v = %v, want 0 after the deliveries", labels, m)
	}
	if e2e := find(fams, "millrace_end_to_end_latency_seconds", labels); e2e == nil ||
		e2e.GetHistogram().GetSampleCount() != 1 || e2e.GetHistogram().GetSampleSum() != 2 {
		t.Errorf("millrace_end_to_end_latency_seconds%v = %v, want one observation of 2s (the handled event)", labels, e2e)
	}
	// Watermill's own metrics: two handled deliveries (the poisoned one is acked too),
	// and the publishes: two events and one poisoned copy.
	if got := histogramCount(fams, "watermill_handler_execution_time_seconds", map[string]string{"success": "true"}); got != 2 {
		t.Errorf("watermill_handler_execution_time_seconds_count{success=true} = %d, want 2", got)
	}
	var publishes uint64
	for _, pm := range fams["watermill_publish_time_seconds"].GetMetric() {
		publishes += pm.GetHistogram().GetSampleCount()
	}
	if publishes != 3 {
		t.Errorf("watermill_publish_time_seconds count = %d, want 3 (two events, one poisoned copy)", publishes)
	}
	if fams["go_goroutines"] == nil {
		t.Error("no Go runtime metrics in the default registry")
	}
}

func TestNewRejectsRegisteredTwice(t *testing.T) {
	m, err := metrics.New(metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(metrics.Config{Registry: m.Registry()}); err == nil ||
		!strings.Contains(err.Error(), "register") {
		t.Errorf("second New on one registry: err = %v, want a registration error", err)
	}
}

// gathered reads the registry's metrics as a scrape would.
func gathered(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	list, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	fams := make(map[string]*dto.MetricFamily, len(list))
	for _, f := range list {
		fams[f.GetName()] = f
	}
	return fams
}

// TestFilteredDelivery: a delivery that a handler's filter passes by counts in
// millrace_messages_filtered_total by handler, and as a delivery with outcome filtered,
// not as a poisoned message nor in the end-to-end latency.
func TestFilteredDelivery(t *testing.T) {
	published := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m, err := metrics.New(metrics.Config{Registry: prometheus.NewRegistry(), Now: func() time.Time { return published.Add(time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	reg := router.Registration{Handler: "order-processor", Topic: "orders.created", PoisonTopic: "orders.created.poison", MaxAttempts: 3}
	deliver := func(o router.Outcome) {
		msg := message.NewMessage("id-"+suffix(t), []byte(`{"total": 5}`))
		msg.Metadata.Set(metadata.KeyTime, published.Format(time.RFC3339Nano))
		_, end := m.StartDelivery(context.Background(), reg, msg)
		end(o)
	}
	deliver(router.OutcomeFiltered)
	deliver(router.OutcomeFiltered)

	fams := gathered(t, m)
	if got := counter(fams, "millrace_messages_filtered_total", map[string]string{"handler": "order-processor"}); got != 2 {
		t.Errorf("millrace_messages_filtered_total{handler=order-processor} = %v, want 2", got)
	}
	if f := find(fams, "millrace_messages_filtered_total", map[string]string{"handler": "order-processor"}); f != nil && len(f.GetLabel()) != 1 {
		t.Errorf("millrace_messages_filtered_total has labels %v, want handler only", f.GetLabel())
	}
	deliveries := map[string]string{"handler": "order-processor", "topic": "orders.created", "outcome": "filtered"}
	if got := counter(fams, "millrace_handler_deliveries_total", deliveries); got != 2 {
		t.Errorf("millrace_handler_deliveries_total%v = %v, want 2", deliveries, got)
	}
	if got := counter(fams, "millrace_messages_poisoned_total", nil); got != -1 {
		t.Errorf("millrace_messages_poisoned_total = %v after filtered deliveries only, want no series", got)
	}
	if n := histogramCount(fams, "millrace_end_to_end_latency_seconds", nil); n != 0 {
		t.Errorf("millrace_end_to_end_latency_seconds has %d observations, want none for filtered deliveries", n)
	}
	labels := map[string]string{"handler": "order-processor", "topic": "orders.created"}
	if g := find(fams, "millrace_handler_in_flight", labels); g == nil || g.GetGauge().GetValue() != 0 {
		t.Errorf("millrace_handler_in_flight%v = %v, want 0 after the deliveries", labels, g)
	}

	// A poisoned delivery still counts as poisoned, not filtered.
	deliver(router.OutcomePoison)
	fams = gathered(t, m)
	if got := counter(fams, "millrace_messages_poisoned_total", labels); got != 1 {
		t.Errorf("millrace_messages_poisoned_total%v = %v, want 1", labels, got)
	}
	if got := counter(fams, "millrace_messages_filtered_total", map[string]string{"handler": "order-processor"}); got != 2 {
		t.Errorf("millrace_messages_filtered_total after a poisoned delivery = %v, want still 2", got)
	}
}
