package tracing_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/metrics"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/router/routertest"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/tracing"
	"github.com/millrace/millrace/topology"
)

// wait bounds every wait for a condition.
const wait = 30 * time.Second

type orderPlaced struct {
	ID string `json:"id"`
}

func (orderPlaced) EventName() string { return "orders.placed" }
func (orderPlaced) EventVersion() int { return 1 }

type orderShipped struct {
	ID string `json:"id"`
}

func (orderShipped) EventName() string { return "orders.shipped" }
func (orderShipped) EventVersion() int { return 1 }

func suffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// stack is a bus and a running router on the in-memory transport, traced into rec.
type stack struct {
	rec    *tracetest.SpanRecorder
	events *event.Publisher
	placed string // topic of orderPlaced
	ship   string // topic of orderShipped
}

// spans returns the ended spans named name, in the order they ended.
func (s stack) spans(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, sp := range s.rec.Ended() {
		if sp.Name() == name {
			out = append(out, sp)
		}
	}
	return out
}

// waitSpans waits until n spans named name ended and returns them.
func (s stack) waitSpans(t *testing.T, name string, n int) []sdktrace.ReadOnlySpan {
	t.Helper()
	var got []sdktrace.ReadOnlySpan
	waited := false
	t.Cleanup(func() {
		if t.Failed() && !waited {
			t.Logf("%d spans %q ended within %s, want %d", len(got), name, wait, n)
		}
	})
	testenv.Eventually(t, fmt.Sprintf("%d spans %q to end", n, name), wait, func() bool {
		got = s.spans(name)
		return len(got) >= n
	})
	waited = true
	return got
}

// newStack runs handler "ship" on orders.<s>: it fails the first attempt of order
// "flaky", always fails order "broken" permanently, and publishes orderShipped for every
// order it handles.
func newStack(t *testing.T) stack {
	t.Helper()
	s := suffix(t)
	topo, err := topology.Parse("tracing-test.yaml", []byte(strings.ReplaceAll(`version: 1
transports:
  mem: {kind: gochannel}
defaults:
  retry: {max_attempts: 3, initial_interval: 5ms, max_interval: 10ms, multiplier: 2}
  poison: {topic: "{topic}.poison"}
topics:
  orders.{s}: {transport: mem}
  orders.{s}.poison: {transport: mem}
  shipped.{s}: {transport: mem}
handlers:
  ship: {topic: orders.{s}}
`, "{s}", s)))
	if err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tr := tracing.NewWithProvider(tp)
	m, err := metrics.New(metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}

	b, err := bus.Open(topo, bus.Options{PublisherDecorators: []message.PublisherDecorator{m.DecoratePublisher, tr.DecoratePublisher}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	st := stack{rec: rec, placed: "orders." + s, ship: "shipped." + s}
	st.events, err = event.NewPublisher(b.Publisher(), event.PublisherConfig{Source: "test", Topic: func(ev event.Event) string {
		if ev.EventName() == "orders.shipped" {
			return st.ship
		}
		return st.placed
	}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	tries := map[string]int{}
	handler := event.NewHandler("ship", func(ctx context.Context, ev *orderPlaced) error {
		mu.Lock()
		tries[ev.ID]++
		n := tries[ev.ID]
		mu.Unlock()
		switch {
		case ev.ID == "broken":
			return router.Permanent(errors.New("no such warehouse"))
		case ev.ID == "flaky" && n == 1:
			return errors.New("warehouse busy")
		}
		return st.events.Publish(ctx, orderShipped{ID: ev.ID})
	})
	routertest.Start(t, router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{handler},
		Instruments: []router.Instrument{m, tr}, CloseTimeout: 10 * time.Second})
	return st
}

func hasEvent(sp sdktrace.ReadOnlySpan, name string) bool {
	for _, e := range sp.Events() {
		if e.Name == name {
			return true
		}
	}
	return false
}

func describe(spans []sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	for _, sp := range spans {
		fmt.Fprintf(&b, "\n  %s trace %s span %s parent %s status %v", sp.Name(), sp.SpanContext().TraceID(),
			sp.SpanContext().SpanID(), sp.Parent().SpanID(), sp.Status().Code)
	}
	return b.String()
}

// TestHandlerSpanIsChildOfPublishSpan publishes an event whose first attempt fails:
// both attempt spans are children of the publish span, the first records the retry,
// and the event published by the handler continues the trace under the second.
func TestHandlerSpanIsChildOfPublishSpan(t *testing.T) {
	st := newStack(t)
	if err := st.events.Publish(context.Background(), orderPlaced{ID: "flaky"}); err != nil {
		t.Fatal(err)
	}
	shipped := st.waitSpans(t, "publish "+st.ship, 1)
	publish := st.waitSpans(t, "publish "+st.placed, 1)[0]
	attempts := st.waitSpans(t, "process "+st.placed, 2)
	all := st.rec.Ended()
	if len(attempts) != 2 {
		t.Fatalf("attempt spans: %s, want 2", describe(attempts))
	}
	if publish.SpanKind() != trace.SpanKindProducer || publish.Parent().IsValid() {
		t.Errorf("publish span: kind %v, parent %v; want a producer root span", publish.SpanKind(), publish.Parent())
	}
	for i, a := range attempts {
		if a.SpanContext().TraceID() != publish.SpanContext().TraceID() || a.Parent().SpanID() != publish.SpanContext().SpanID() {
			t.Errorf("attempt %d is not a child of the publish span:%s", i+1, describe(all))
		}
		if a.SpanKind() != trace.SpanKindConsumer {
			t.Errorf("attempt %d kind %v, want consumer", i+1, a.SpanKind())
		}
	}
	if first := attempts[0]; first.Status().Code != codes.Error || !hasEvent(first, tracing.EventRetry) {
		t.Errorf("first attempt: status %v, events %v; want an error with a retry event", first.Status(), first.Events())
	}
	if second := attempts[1]; second.Status().Code == codes.Error || len(second.Events()) != 0 {
		t.Errorf("second attempt: status %v, events %v; want success without events", second.Status(), second.Events())
	}
	if sh := shipped[0]; sh.SpanContext().TraceID() != publish.SpanContext().TraceID() ||
		sh.Parent().SpanID() != attempts[1].SpanContext().SpanID() {
		t.Errorf("the handler's publish is not a child of the successful attempt:%s", describe(all))
	}
}

// TestPoisonedMessageKeepsTheTrace checks that a permanently failing attempt records the
// poisoning and that the poisoned copy is published under the attempt's span.
func TestPoisonedMessageKeepsTheTrace(t *testing.T) {
	st := newStack(t)
	if err := st.events.Publish(context.Background(), orderPlaced{ID: "broken"}); err != nil {
		t.Fatal(err)
	}
	poison := st.waitSpans(t, "publish "+st.placed+".poison", 1)[0]
	attempts := st.waitSpans(t, "process "+st.placed, 1)
	publish := st.spans("publish " + st.placed)
	all := st.rec.Ended()
	if len(attempts) != 1 || len(publish) != 1 {
		t.Fatalf("spans:%s, want one publish and one attempt", describe(all))
	}
	a := attempts[0]
	if a.Status().Code != codes.Error || !hasEvent(a, tracing.EventPoisoned) || hasEvent(a, tracing.EventRetry) {
		t.Errorf("attempt: status %v, events %v; want an error with a poisoned event and no retry", a.Status(), a.Events())
	}
	if a.Parent().SpanID() != publish[0].SpanContext().SpanID() {
		t.Errorf("attempt is not a child of the publish span:%s", describe(all))
	}
	if poison.SpanContext().TraceID() != publish[0].SpanContext().TraceID() || poison.Parent().SpanID() != a.SpanContext().SpanID() {
		t.Errorf("poison publish is not a child of the failed attempt:%s", describe(all))
	}
}

// TestPublisherContinuesCarriedTrace checks that a message published without a span
// in its context (an outbox relay, a replay) continues the trace its metadata carries.
func TestPublisherContinuesCarriedTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tr := tracing.NewWithProvider(tp)

	ctx, origin := tp.Tracer("test").Start(context.Background(), "origin")
	msg := message.NewMessage("1", nil)
	tr.Inject(ctx, msg)
	origin.End()
	if !strings.HasPrefix(msg.Metadata.Get("traceparent"), "00-"+origin.SpanContext().TraceID().String()) {
		t.Fatalf("traceparent %q does not carry the origin trace", msg.Metadata.Get("traceparent"))
	}

	var got *message.Message
	pub, err := tr.DecoratePublisher(publisherFunc(func(_ string, msgs ...*message.Message) error {
		got = msgs[0]
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	relayed := message.NewMessage("1", nil) // a fresh context, as a relay has
	for k, v := range msg.Metadata {
		relayed.Metadata.Set(k, v)
	}
	if err := pub.Publish("t", relayed); err != nil {
		t.Fatal(err)
	}
	var span sdktrace.ReadOnlySpan
	for _, sp := range rec.Ended() {
		if sp.Name() == "publish t" {
			span = sp
		}
	}
	if span == nil || span.Parent().SpanID() != origin.SpanContext().SpanID() {
		t.Fatalf("relay publish span %v is not a child of the origin span", span)
	}
	want := fmt.Sprintf("00-%s-%s-01", span.SpanContext().TraceID(), span.SpanContext().SpanID())
	if tp := got.Metadata.Get("traceparent"); tp != want {
		t.Errorf("published traceparent %q, want %q (the publish span)", tp, want)
	}
}

type publisherFunc func(topic string, msgs ...*message.Message) error

func (f publisherFunc) Publish(topic string, msgs ...*message.Message) error {
	return f(topic, msgs...)
}
func (publisherFunc) Close() error { return nil }

func TestNewFromEnvironment(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	// The exporter reads the process environment itself: keep it off real collectors.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	ctx := context.Background()
	cases := []struct {
		name    string
		getenv  func(string) string
		enabled bool
		err     string
	}{
		{"no endpoint", env(), false, ""},
		{"disabled", env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", "OTEL_SDK_DISABLED", "true"), false, ""},
		{"exporter none", env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", "OTEL_TRACES_EXPORTER", "none"), false, ""},
		{"endpoint", env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"), true, ""},
		{"traces endpoint", env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/v1/traces"), true, ""},
		{"grpc", env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), false, "http/protobuf"},
		{"zipkin", env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", "OTEL_TRACES_EXPORTER", "zipkin"), false, "otlp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := tracing.New(ctx, tracing.Config{ServiceName: "test", Getenv: c.getenv})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("New: err = %v, want one mentioning %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if tr.Enabled() != c.enabled {
				t.Errorf("Enabled() = %v, want %v", tr.Enabled(), c.enabled)
			}
			_, span := tr.TracerProvider().Tracer("test").Start(ctx, "x")
			if span.IsRecording() != c.enabled {
				t.Errorf("span recording = %v, want %v", span.IsRecording(), c.enabled)
			}
			span.End()
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := tr.Shutdown(sctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
	}
	if _, err := tracing.New(ctx, tracing.Config{Getenv: env()}); err == nil {
		t.Error("New without a service name succeeded")
	}
}

// TestDisabledPassesTraceOn checks that with tracing off a message's traceparent still
// travels on: the no-op provider keeps the incoming trace context.
func TestDisabledPassesTraceOn(t *testing.T) {
	tr, err := tracing.New(context.Background(), tracing.Config{ServiceName: "test", Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	in := message.NewMessage("1", nil)
	in.Metadata.Set("traceparent", parent)
	var out *message.Message
	pub, _ := tr.DecoratePublisher(publisherFunc(func(_ string, msgs ...*message.Message) error { out = msgs[0]; return nil }))
	if err := pub.Publish("t", in); err != nil {
		t.Fatal(err)
	}
	if got := out.Metadata.Get("traceparent"); got != parent {
		t.Errorf("traceparent after a disabled publish = %q, want %q", got, parent)
	}
}

func TestHTTPMiddleware(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tr := tracing.NewWithProvider(tp)

	var inside trace.SpanContext
	mux := http.NewServeMux()
	mux.HandleFunc("POST /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		inside = trace.SpanContextFromContext(r.Context())
		w.WriteHeader(http.StatusBadGateway)
	})
	srv := httptest.NewServer(tr.HTTPMiddleware(mux))
	t.Cleanup(srv.Close)

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/users/7", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	ended := rec.Ended()
	if len(ended) != 1 {
		t.Fatalf("%d spans ended, want 1", len(ended))
	}
	sp := ended[0]
	if sp.Name() != "POST /users/{id}" || sp.SpanKind() != trace.SpanKindServer || sp.Status().Code != codes.Error {
		t.Errorf("span %q kind %v status %v, want \"POST /users/{id}\", server, error", sp.Name(), sp.SpanKind(), sp.Status())
	}
	if sp.SpanContext().TraceID().String() != traceID || sp.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("span trace %s parent %s, want the caller's", sp.SpanContext().TraceID(), sp.Parent().SpanID())
	}
	if inside.SpanID() != sp.SpanContext().SpanID() {
		t.Error("the handler did not run in the request span")
	}
}
