package event_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/metadata"
)

type userRegistered struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
}

func (userRegistered) EventName() string { return "users.registered" }
func (userRegistered) EventVersion() int { return 1 }

type userVerified struct {
	UserID string `json:"user_id"`
}

func (userVerified) EventName() string { return "users.verified" }
func (userVerified) EventVersion() int { return 2 }

// capture is a publisher that keeps what it is given.
type capture struct {
	topics []string
	msgs   []*message.Message
}

func (c *capture) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		c.topics = append(c.topics, topic)
		c.msgs = append(c.msgs, m)
	}
	return nil
}

func (c *capture) Close() error { return nil }

func mustBus(t *testing.T, pub message.Publisher, cfg event.PublisherConfig) *event.Publisher {
	t.Helper()
	b, err := event.NewPublisher(pub, cfg)
	if err != nil {
		t.Fatalf("NewPublisher: %v", err)
	}
	return b
}

func TestType(t *testing.T) {
	if got := event.Type(userRegistered{}); got != "users.registered.v1" {
		t.Errorf("Type = %q", got)
	}
	if got := event.Type(&userVerified{}); got != "users.verified.v2" {
		t.Errorf("Type(pointer) = %q", got)
	}
}

// namedEvent is an event whose name and version are chosen at run time.
type namedEvent struct {
	name    string
	version int
}

func (e namedEvent) EventName() string { return e.name }
func (e namedEvent) EventVersion() int { return e.version }

// Type strings come from a cache: each name and version keeps its own, also past the
// cache's bound, and concurrent first uses agree.
func TestTypeOfManyEvents(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1500 {
				ev := namedEvent{name: fmt.Sprintf("tests.e%d", i), version: g%2 + 1}
				if got, want := event.Type(ev), fmt.Sprintf("tests.e%d.v%d", i, g%2+1); got != want {
					t.Errorf("Type = %q, want %q", got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := event.Type(namedEvent{name: "tests.e1", version: 3}); got != "tests.e1.v3" {
		t.Errorf("Type = %q, want tests.e1.v3", got)
	}
}

func TestPublishStampsAttributes(t *testing.T) {
	pub := &capture{}
	now := time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.FixedZone("X", 3600))
	bus := mustBus(t, pub, event.PublisherConfig{Source: "users-service", Now: func() time.Time { return now }})

	if err := bus.Publish(context.Background(), userRegistered{UserID: "u1", Email: "a@b.c"}); err != nil {
		t.Fatal(err)
	}
	if len(pub.msgs) != 1 || pub.topics[0] != "users.registered" {
		t.Fatalf("published %d messages on %v, want 1 on users.registered", len(pub.msgs), pub.topics)
	}
	msg := pub.msgs[0]
	want := map[string]string{
		"ce_id":              msg.UUID,
		"ce_type":            "users.registered.v1",
		"ce_source":          "users-service",
		"ce_time":            "2025-03-04T04:06:07.123456789Z",
		"ce_specversion":     "1.0",
		"ce_datacontenttype": "", // implied: the payload is JSON
	}
	for k, v := range want {
		if got := msg.Metadata.Get(k); got != v {
			t.Errorf("metadata %s = %q, want %q", k, got, v)
		}
	}
	if a, err := event.AttributesOf(msg); err != nil || a.DataContentType != metadata.DataContentType {
		t.Errorf("AttributesOf = %+v, %v; want data content type %s", a, err, metadata.DataContentType)
	}
	if got := event.CorrelationID(msg); got != msg.UUID {
		t.Errorf("edge message correlation id = %q, want its own id %q", got, msg.UUID)
	}
	if got := event.CausationID(msg); got != "" {
		t.Errorf("edge message causation = %q, want empty", got)
	}
	if string(msg.Payload) != `{"user_id":"u1","email":"a@b.c"}` {
		t.Errorf("payload = %s", msg.Payload)
	}

	attrs, err := event.AttributesOf(msg)
	if err != nil {
		t.Fatalf("AttributesOf: %v", err)
	}
	if attrs.ID != msg.UUID || attrs.Type != "users.registered.v1" || !attrs.Time.Equal(now) ||
		attrs.Time.Location() != time.UTC || attrs.CorrelationID != event.CorrelationID(msg) {
		t.Errorf("attributes = %+v", attrs)
	}
}

func TestPublishUsesContextIDs(t *testing.T) {
	pub := &capture{}
	bus := mustBus(t, pub, event.PublisherConfig{Source: "s", Topic: func(ev event.Event) string { return "t." + ev.EventName() }})
	ctx := correlation.WithCausation(correlation.WithID(context.Background(), "corr-9"), "msg-3")
	if err := bus.Publish(ctx, &userVerified{UserID: "u"}); err != nil {
		t.Fatal(err)
	}
	msg := pub.msgs[0]
	if pub.topics[0] != "t.users.verified" {
		t.Errorf("topic = %q", pub.topics[0])
	}
	if event.CorrelationID(msg) != "corr-9" || event.CausationID(msg) != "msg-3" {
		t.Errorf("correlation %q causation %q, want corr-9 msg-3", event.CorrelationID(msg), event.CausationID(msg))
	}
}

// TestPublishReleases checks that a Publisher releases the messages it publishes, keeping the
// publishing context's values, and that other messages are not released.
func TestPublishReleases(t *testing.T) {
	pub := &capture{}
	bus := mustBus(t, pub, event.PublisherConfig{Source: "s"})
	ctx := correlation.WithID(context.Background(), "corr-1")
	if err := bus.Publish(ctx, userVerified{UserID: "u"}); err != nil {
		t.Fatal(err)
	}
	msg := pub.msgs[0]
	if !metadata.Released(msg) {
		t.Error("a message published by a Publisher is not released")
	}
	if got := correlation.ID(msg.Context()); got != "corr-1" {
		t.Errorf("released message's context has correlation id %q, want corr-1", got)
	}
	other := message.NewMessage(watermill.NewUUID(), nil)
	if metadata.Released(other) {
		t.Error("a new message is released")
	}
	metadata.Release(other)
	if !metadata.Released(other) {
		t.Error("Release did not release the message")
	}
}

func TestNewBusValidates(t *testing.T) {
	if _, err := event.NewPublisher(&capture{}, event.PublisherConfig{}); err == nil || !strings.Contains(err.Error(), "Source") {
		t.Errorf("missing Source: err = %v", err)
	}
	if _, err := event.NewPublisher(nil, event.PublisherConfig{Source: "s"}); err == nil {
		t.Error("nil publisher accepted")
	}
}

func TestAttributesOfReportsEveryProblem(t *testing.T) {
	msg := message.NewMessage("id", nil)
	msg.Metadata.Set("ce_time", "yesterday")
	_, err := event.AttributesOf(msg)
	if err == nil {
		t.Fatal("no error for a bare message")
	}
	for _, want := range []string{"ce_id", "ce_type", "ce_source", "ce_specversion", "invalid ce_time"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestHandlerDecodesAndCarriesFlow(t *testing.T) {
	pub := &capture{}
	bus := mustBus(t, pub, event.PublisherConfig{Source: "s"})
	ctx := correlation.WithID(context.Background(), "corr-1")
	if err := bus.Publish(ctx, userRegistered{UserID: "u1"}); err != nil {
		t.Fatal(err)
	}
	in := pub.msgs[0]

	var got *userRegistered
	var gotCorr, gotCause string
	var original *message.Message
	h := event.NewHandler("h", func(ctx context.Context, ev *userRegistered) error {
		got = ev
		gotCorr, gotCause = correlation.ID(ctx), correlation.Causation(ctx)
		original = cqrs.OriginalMessageFromCtx(ctx)
		return bus.Publish(ctx, userVerified{UserID: ev.UserID})
	})
	if h.Name() != "h" || strings.Join(h.Types(), ",") != "users.registered.v1" {
		t.Fatalf("Name %q Types %v", h.Name(), h.Types())
	}
	if err := h.HandleMessage(in); err != nil {
		t.Fatalf("HandleMessage: %v", err)
	}
	if got == nil || got.UserID != "u1" {
		t.Fatalf("decoded %+v", got)
	}
	if gotCorr != "corr-1" || gotCause != in.UUID || original != in {
		t.Errorf("ctx correlation %q causation %q original %v; want corr-1 %s and the message", gotCorr, gotCause, original, in.UUID)
	}
	out := pub.msgs[1]
	if event.CorrelationID(out) != "corr-1" || event.CausationID(out) != in.UUID {
		t.Errorf("published correlation %q causation %q, want corr-1 %s", event.CorrelationID(out), event.CausationID(out), in.UUID)
	}
}

func TestHandlerErrors(t *testing.T) {
	boom := errors.New("boom")
	h := event.NewHandler("h", func(context.Context, *userRegistered) error { return boom })

	typed := func(typ, payload string) *message.Message {
		m := message.NewMessage(watermill.NewUUID(), []byte(payload))
		m.Metadata.Set(metadata.KeyType, typ)
		return m
	}
	permanent := func(err error) bool {
		var p interface{ Permanent() bool }
		return errors.As(err, &p) && p.Permanent()
	}

	err := h.HandleMessage(typed("users.registered.v1", `{"user_id":"x"}`))
	if !errors.Is(err, boom) || permanent(err) {
		t.Errorf("handler error: got %v (permanent %v), want boom, not permanent", err, permanent(err))
	}

	err = h.HandleMessage(typed("users.registered.v1", `{not json`))
	var me *event.MessageError
	if !errors.As(err, &me) || !permanent(err) || me.Type != "users.registered.v1" {
		t.Errorf("bad payload: got %v, want a permanent MessageError", err)
	}

	err = h.HandleMessage(typed("users.registered.v2", `{}`))
	if !errors.Is(err, event.ErrUnknownType) || !permanent(err) {
		t.Errorf("unknown version: got %v, want permanent ErrUnknownType", err)
	}

	err = h.HandleMessage(message.NewMessage("x", []byte(`{}`)))
	if !errors.Is(err, event.ErrUnknownType) {
		t.Errorf("untyped message: got %v, want ErrUnknownType", err)
	}
}

func TestMultiHandler(t *testing.T) {
	var registered, verified []string
	h, err := event.NewMultiHandler("update-user-stats",
		event.On(func(_ context.Context, ev *userRegistered) error {
			registered = append(registered, ev.UserID)
			return nil
		}),
		event.On(func(_ context.Context, ev *userVerified) error { verified = append(verified, ev.UserID); return nil }),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(h.Types(), ","); got != "users.registered.v1,users.verified.v2" {
		t.Errorf("Types = %s", got)
	}
	pub := &capture{}
	bus := mustBus(t, pub, event.PublisherConfig{Source: "s"})
	for _, ev := range []event.Event{userRegistered{UserID: "a"}, userVerified{UserID: "b"}, userRegistered{UserID: "c"}} {
		if err := bus.Publish(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range pub.msgs {
		if err := h.HandleMessage(m); err != nil {
			t.Fatalf("HandleMessage %s: %v", event.MessageType(m), err)
		}
	}
	if strings.Join(registered, ",") != "a,c" || strings.Join(verified, ",") != "b" {
		t.Errorf("registered %v verified %v", registered, verified)
	}

	_, err = event.NewMultiHandler("dup",
		event.On(func(context.Context, *userVerified) error { return nil }),
		event.On(func(context.Context, *userVerified) error { return nil }))
	if err == nil || !strings.Contains(err.Error(), "users.verified.v2") {
		t.Errorf("duplicate type: err = %v", err)
	}
	if _, err := event.NewMultiHandler("none"); err == nil {
		t.Error("handler without types accepted")
	}
}

// TestOverGoChannel runs a published event through a real Pub/Sub.
func TestOverGoChannel(t *testing.T) {
	ps := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1}, watermill.NopLogger{})
	t.Cleanup(func() { _ = ps.Close() })
	msgs, err := ps.Subscribe(t.Context(), "users.registered")
	if err != nil {
		t.Fatal(err)
	}
	bus := mustBus(t, ps, event.PublisherConfig{Source: "s"})
	if err := bus.Publish(correlation.WithID(t.Context(), "c-1"), userRegistered{UserID: "u"}); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	h := event.NewHandler("h", func(ctx context.Context, ev *userRegistered) error {
		got <- correlation.ID(ctx) + "/" + ev.UserID
		return nil
	})
	select {
	case m := <-msgs:
		if err := h.HandleMessage(m); err != nil {
			t.Fatal(err)
		}
		m.Ack()
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5s")
	}
	if v := <-got; v != "c-1/u" {
		t.Errorf("handled %q, want c-1/u", v)
	}
}
