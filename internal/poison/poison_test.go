package poison_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/poison"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

func suffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// storeCase is one transport the Store behaviour runs on.
type storeCase struct {
	name      string
	transport func(t *testing.T) string // the YAML of the transport entry
}

var storeCases = []storeCase{
	{"amqp", func(t *testing.T) string {
		return fmt.Sprintf("{kind: amqp, url: %q}", testenv.RabbitMQ(t))
	}},
	{"redisstream", func(t *testing.T) string {
		return fmt.Sprintf("{kind: redisstream, addr: %q}", testenv.Redis(t))
	}},
	{"postgres", func(t *testing.T) string {
		return fmt.Sprintf("{kind: sql, dialect: postgres, dsn: %q}", testenv.PostgresSchema(t))
	}},
	{"mysql", func(t *testing.T) string {
		return fmt.Sprintf("{kind: sql, dialect: mysql, dsn: %q}", testenv.MySQL(t))
	}},
	{"sqlite", func(t *testing.T) string {
		return fmt.Sprintf("{kind: sql, dialect: sqlite, dsn: %q}", t.TempDir()+"/poison.db")
	}},
}

// TestStore runs the Store behaviour on every transport: listing neither consumes nor
// reorders, Get finds by UUID, Remove deletes exactly the entries named, Purge the rest.
func TestStore(t *testing.T) {
	for _, c := range storeCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			testStore(t, c)
		})
	}
}

func testStore(t *testing.T, c storeCase) {
	topic := "pstore_" + suffix(t) + ".poison"
	topo, err := topology.Parse("store.yaml", []byte(fmt.Sprintf(
		"version: 1\ntransports:\n  x: %s\ntopics:\n  %s: {transport: x}\n", c.transport(t), topic)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := bus.Open(topo, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	// Declare what the router declares: the poison-store group's subscription.
	sub, err := b.NewSubscriber(router.PoisonStoreGroup)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	if err := sub.(message.SubscribeInitializer).SubscribeInitialize(topic); err != nil {
		t.Fatal(err)
	}

	tr, _ := topo.Transport("x")
	store, err := poison.Open(tr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Cleanup(func() { _, _ = store.Purge(context.Background(), topic) })
	t.Cleanup(func() { testenv.DropTopic(t, tr, topic, router.PoisonStoreGroup) })

	if got, err := store.List(ctx, topic); err != nil || len(got) != 0 {
		t.Fatalf("empty topic: List = %d entries, %v", len(got), err)
	}

	var ids []string
	for i := range 3 {
		msg := message.NewMessage(watermill.NewUUID(), []byte(fmt.Sprintf(`{"n":%d}`, i)))
		msg.Metadata.Set(middleware.PoisonedTopicKey, "orders.placed")
		msg.Metadata.Set(middleware.PoisonedHandlerKey, "bill")
		msg.Metadata.Set(middleware.ReasonForPoisonedKey, "card declined "+strconv.Itoa(i))
		msg.Metadata.Set(router.AttemptsKey, "3")
		if err := b.Publisher().Publish(topic, msg); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, msg.UUID)
	}

	var entries []poison.Entry
	for range 2 { // a second listing sees the same entries in the same order
		entries, err = store.List(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 3 {
			t.Fatalf("List = %d entries, want 3", len(entries))
		}
		for i, e := range entries {
			if e.ID() != ids[i] || e.PoisonTopic != topic || e.Topic() != "orders.placed" ||
				e.Handler() != "bill" || e.Attempts() != 3 || e.Reason() != "card declined "+strconv.Itoa(i) ||
				string(e.Message.Payload) != fmt.Sprintf(`{"n":%d}`, i) {
				t.Fatalf("entry %d = %s %s %q %q %d %q %s", i, e.ID(), e.PoisonTopic, e.Topic(), e.Handler(), e.Attempts(), e.Reason(), e.Message.Payload)
			}
		}
	}

	got, err := store.Get(ctx, topic, ids[1])
	if err != nil || len(got) != 1 || got[0].ID() != ids[1] {
		t.Fatalf("Get = %v, %v", got, err)
	}
	if _, err := store.Get(ctx, topic, watermill.NewUUID()); err == nil {
		t.Fatal("Get of an unknown id succeeded")
	}

	if err := store.Remove(ctx, topic, entries[1].Ref); err != nil {
		t.Fatal(err)
	}
	left, err := store.List(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || left[0].ID() != ids[0] || left[1].ID() != ids[2] {
		t.Fatalf("after Remove of the second: %v", entryIDs(left))
	}

	n, err := store.Purge(ctx, topic)
	if err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2", n, err)
	}
	if left, err := store.List(ctx, topic); err != nil || len(left) != 0 {
		t.Fatalf("after Purge: %v, %v", entryIDs(left), err)
	}
}

func entryIDs(es []poison.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID()
	}
	return out
}

func TestOpenInMemoryIsRefused(t *testing.T) {
	_, err := poison.Open(transporttest.Parse(t, "memory", "{kind: gochannel}"))
	if err == nil || !errorsIs(err, poison.ErrInMemory) {
		t.Fatalf("Open(gochannel) = %v, want ErrInMemory", err)
	}
}
