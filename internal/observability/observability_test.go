package observability_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/health"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/router/routertest"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestServiceEndpoints wires a service on the in-memory transport and checks its
// three endpoints: a handled message shows in /metrics, the transport in /readyz, and
// Close turns the service not ready.
func TestServiceEndpoints(t *testing.T) {
	ctx := context.Background()
	o, err := observability.New(ctx, observability.Config{Service: "test", Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if o.Tracing.Enabled() {
		t.Error("tracing on without an OTLP endpoint")
	}
	topo, err := topology.Parse("observability-test.yaml", []byte(`version: 1
transports:
  mem: {kind: gochannel}
topics:
  jobs: {transport: mem}
handlers:
  work: {topic: jobs}
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := o.OpenBus(topo, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	handled := make(chan struct{}, 1)
	routertest.Start(t, router.Config{Topology: topo, Bus: b, Instruments: o.Instruments(), CloseTimeout: 10 * time.Second,
		Handlers: []router.Handler{handler{func(*message.Message) error { handled <- struct{}{}; return nil }}}})

	mux := http.NewServeMux()
	o.Register(mux)
	srv := httptest.NewServer(o.HTTPMiddleware(mux))
	t.Cleanup(srv.Close)

	if err := b.Publisher().Publish("jobs", message.NewMessage(watermill.NewUUID(), nil)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-handled:
	case <-time.After(30 * time.Second):
		t.Fatal("message not handled")
	}
	want := `millrace_handler_deliveries_total{handler="work",outcome="ok",topic="jobs"} 1`
	var (
		metricsCode int
		metrics     string
	)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last /metrics = %d:\n%s", metricsCode, metrics)
		}
	})
	testenv.Eventually(t, "/metrics with "+want, 30*time.Second, func() bool {
		metricsCode, metrics = get(t, srv.URL+"/metrics")
		return metricsCode == http.StatusOK && strings.Contains(metrics, want)
	})

	if code, _ := get(t, srv.URL+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	code, body := get(t, srv.URL+"/readyz")
	var rep health.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if code != http.StatusOK || rep.Checks["transport:mem"] != health.CheckOK {
		t.Errorf("/readyz = %d %s, want 200 with transport:mem ok", code, body)
	}
	if err := o.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	if code, body := get(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "draining") {
		t.Errorf("/readyz after Close = %d %s, want 503 draining", code, body)
	}
}

type handler struct{ fn func(*message.Message) error }

func (handler) Name() string                               { return "work" }
func (h handler) HandleMessage(msg *message.Message) error { return h.fn(msg) }

// TestDeliveryLogFromTopology: a topology with a trace section gets a delivery log
// from New, whatever the order of the other calls: publishes and outcomes are
// recorded, and /trace/{id} serves the tree.
func TestDeliveryLogFromTopology(t *testing.T) {
	ctx := context.Background()
	topo, err := topology.Parse("trace-test.yaml", []byte(`version: 1
transports:
  mem: {kind: gochannel}
  db: {kind: sql, dialect: sqlite, dsn: "`+filepath.Join(t.TempDir(), "log.db")+`"}
topics:
  jobs: {transport: mem}
handlers:
  work: {topic: jobs}
trace: {store: db}
`))
	if err != nil {
		t.Fatal(err)
	}
	o, err := observability.New(ctx, observability.Config{Service: "test", Getenv: func(string) string { return "" }, Topology: topo})
	if err != nil {
		t.Fatal(err)
	}
	if o.DeliveryLog == nil {
		t.Fatal("no delivery log opened for a topology with a trace section")
	}
	// The HTTP routes and the instruments are taken before the bus is opened: the
	// order does not matter.
	mux := http.NewServeMux()
	o.Register(mux)
	instruments := o.Instruments()
	b, err := o.OpenBus(topo, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	handled := make(chan struct{}, 1)
	r := routertest.Start(t, router.Config{Topology: topo, Bus: b, Instruments: instruments, CloseTimeout: 10 * time.Second,
		Handlers: []router.Handler{handler{func(*message.Message) error { handled <- struct{}{}; return nil }}}})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	msg := message.NewMessage(watermill.NewUUID(), []byte(`{}`))
	msg.Metadata.Set("correlation_id", "corr-trace-1")
	if err := b.Publisher().Publish("jobs", msg); err != nil {
		t.Fatal(err)
	}
	select {
	case <-handled:
	case <-time.After(30 * time.Second):
		t.Fatal("message not handled")
	}
	var (
		traceCode int
		trace     string
	)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last /trace/corr-trace-1 = %d:\n%s", traceCode, trace)
		}
	})
	testenv.Eventually(t, "/trace/corr-trace-1 with the message and the work outcome", 30*time.Second, func() bool {
		traceCode, trace = get(t, srv.URL+"/trace/corr-trace-1")
		return traceCode == http.StatusOK && strings.Contains(trace, `"handler": "work"`) && strings.Contains(trace, msg.UUID)
	})
	if err := r.Close(); err != nil {
		t.Errorf("router Close: %v", err)
	}
	_ = b.Close()
	if err := o.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}
