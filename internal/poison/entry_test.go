package poison_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/millrace/millrace/internal/poison"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/topology"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func poisoned(at time.Time) poison.Entry {
	msg := message.NewMessage("id-1", []byte(`{"a":1}`))
	msg.Metadata.Set("correlation_id", "corr-1")
	msg.Metadata.Set("ce_type", "orders.placed.v1")
	msg.Metadata.Set(middleware.PoisonedTopicKey, "orders.placed")
	msg.Metadata.Set(middleware.PoisonedHandlerKey, "bill")
	msg.Metadata.Set(middleware.PoisonedSubscriberKey, "sub")
	msg.Metadata.Set(middleware.ReasonForPoisonedKey, "Card Declined")
	msg.Metadata.Set(router.AttemptsKey, "5")
	msg.Metadata.Set(router.PoisonedAtKey, at.Format(time.RFC3339Nano))
	msg.Metadata.Set(poison.ReplayedKey, "1")
	return poison.Entry{PoisonTopic: "orders.placed.poison", Ref: "7", Message: msg}
}

func TestReplayKeepsIdentityAndCountsReplays(t *testing.T) {
	e := poisoned(time.Now())
	msg := poison.Replay(e)
	if msg.UUID != "id-1" || string(msg.Payload) != `{"a":1}` {
		t.Fatalf("replayed %s %s", msg.UUID, msg.Payload)
	}
	want := map[string]string{"correlation_id": "corr-1", "ce_type": "orders.placed.v1", poison.ReplayedKey: "2"}
	if len(msg.Metadata) != len(want) {
		t.Errorf("metadata %v, want exactly %v", msg.Metadata, want)
	}
	for k, v := range want {
		if msg.Metadata.Get(k) != v {
			t.Errorf("metadata %s = %q, want %q", k, msg.Metadata.Get(k), v)
		}
	}
	if e.Message.Metadata.Get(middleware.ReasonForPoisonedKey) == "" {
		t.Error("Replay changed the entry's own metadata")
	}
}

func TestFilter(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e := poisoned(at)
	for _, c := range []struct {
		name string
		f    poison.Filter
		want bool
	}{
		{"zero", poison.Filter{}, true},
		{"topic", poison.Filter{Topic: "orders.placed"}, true},
		{"poison topic", poison.Filter{Topic: "orders.placed.poison"}, true},
		{"other topic", poison.Filter{Topic: "orders"}, false},
		{"handler", poison.Filter{Handler: "bill"}, true},
		{"other handler", poison.Filter{Handler: "ship"}, false},
		{"reason any case", poison.Filter{Reason: "card decl"}, true},
		{"other reason", poison.Filter{Reason: "timeout"}, false},
		{"since before", poison.Filter{Since: at.Add(-time.Minute)}, true},
		{"since after", poison.Filter{Since: at.Add(time.Minute)}, false},
		{"until after", poison.Filter{Until: at.Add(time.Minute)}, true},
		{"until before", poison.Filter{Until: at.Add(-time.Minute)}, false},
		{"id", poison.Filter{IDs: []string{"x", "id-1"}}, true},
		{"other id", poison.Filter{IDs: []string{"x"}}, false},
	} {
		if got := c.f.Match(e); got != c.want {
			t.Errorf("%s: Match = %t, want %t", c.name, got, c.want)
		}
	}
}

func TestEntryTimeFallsBackToStore(t *testing.T) {
	e := poisoned(time.Now())
	delete(e.Message.Metadata, router.PoisonedAtKey)
	stored := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e.StoredAt = stored
	if !e.Time().Equal(stored) {
		t.Fatalf("Time = %v, want the store's %v", e.Time(), stored)
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-02-28T10:00:00Z": time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC),
		"90m":                  now.Add(-90 * time.Minute),
	} {
		got, err := poison.ParseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-1h", ""} {
		if _, err := poison.ParseTime(bad, now); err == nil {
			t.Errorf("ParseTime(%q) succeeded", bad)
		}
	}
}

func TestTopicsOfTopology(t *testing.T) {
	topo, err := topology.Parse("t.yaml", []byte(`version: 1
transports:
  mq: {kind: amqp, url: "amqp://guest:guest@127.0.0.1:5672/"}
  db: {kind: sql, dialect: postgres, dsn: "postgres://root@127.0.0.1/test"}
topics:
  orders.placed: {transport: mq}
  orders.paid: {transport: db}
  failures: {transport: db}
handlers:
  bill: {topic: orders.placed}
  ship: {topic: "orders.*"}
  audit: {topic: orders.paid, poison: {topic: failures}}
`))
	if err != nil {
		t.Fatal(err)
	}
	topics, err := poison.Topics(topo)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]poison.Topic{}
	for _, pt := range topics {
		got[pt.Name] = pt
	}
	if pt := got["orders.placed.poison"]; pt.Transport != "mq" || len(pt.Handlers) != 2 || len(pt.Sources) != 1 {
		t.Errorf("orders.placed.poison = %+v, want on mq with handlers bill and ship", pt)
	}
	if pt := got["orders.paid.poison"]; pt.Transport != "db" || len(pt.Handlers) != 1 || pt.Handlers[0] != "ship" {
		t.Errorf("orders.paid.poison = %+v, want on db with handler ship", pt)
	}
	if pt := got["failures"]; pt.Transport != "db" || len(pt.Handlers) != 1 || pt.Handlers[0] != "audit" || pt.Sources[0] != "orders.paid" {
		t.Errorf("failures = %+v, want on db from audit of orders.paid", pt)
	}
	if len(topics) != 3 {
		t.Errorf("%d poison topics, want 3: %+v", len(topics), topics)
	}
}
