package sql_test

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

// TestSQLMetadataRoundTrip: on every SQL dialect an event's ce_id is left out of the
// metadata column when it equals the uuid, and every message reads back with the
// metadata it was published with.
func TestSQLMetadataRoundTrip(t *testing.T) {
	for _, k := range transporttest.Routes() {
		if k.Name != "sql-postgres" && k.Name != "sql-mysql" && k.Name != "sql-sqlite" {
			continue
		}
		t.Run(k.Name, func(t *testing.T) {
			cfg := k.Config(t)
			tr := transporttest.Open(t, cfg)
			topic := transporttest.Topic("metadata")
			ev := message.NewMessage(watermill.NewUUID(), []byte(`{}`))
			ev.Metadata = message.Metadata{metadata.KeyID: ev.UUID, metadata.KeyType: "tests.e.v1", metadata.KeySpecVersion: "1.0", "correlation_id": "c-1"}
			other := message.NewMessage(watermill.NewUUID(), []byte(`{}`))
			other.Metadata = message.Metadata{metadata.KeyID: "another-id", metadata.KeySpecVersion: "1.0"}
			plain := message.NewMessage(watermill.NewUUID(), []byte(`{}`))
			plain.Metadata = message.Metadata{"k": "v"}
			sent := []*message.Message{ev, other, plain}

			sub, err := tr.NewSubscriber(transport.SubscriberOptions{Group: "metadata", Delivery: topology.Shared})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			if err := sub.(message.SubscribeInitializer).SubscribeInitialize(topic); err != nil {
				t.Fatal(err)
			}
			pub, err := tr.NewPublisher()
			if err != nil {
				t.Fatal(err)
			}
			defer pub.Close()
			if err := pub.Publish(topic, sent...); err != nil {
				t.Fatal(err)
			}
			if got := ev.Metadata[metadata.KeyID]; got != ev.UUID {
				t.Errorf("publishing changed the caller's message: ce_id = %q", got)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ch, err := sub.Subscribe(ctx, topic)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range sent {
				select {
				case msg := <-ch:
					msg.Ack()
					if msg.UUID != want.UUID || !maps.Equal(msg.Metadata, want.Metadata) {
						t.Errorf("received %s %v, want %s %v", msg.UUID, msg.Metadata, want.UUID, want.Metadata)
					}
				case <-ctx.Done():
					t.Fatal("message not received")
				}
			}

			d, dsn, err := sqldb.Of(cfg)
			if err != nil {
				t.Fatal(err)
			}
			db, err := stdsql.Open(d.Driver(), dsn.Reveal())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			quote := d.Quote
			table := quote("watermill_" + topic)
			column := func(uuid string) map[string]string {
				t.Helper()
				var raw []byte
				q := "SELECT metadata FROM " + table + " WHERE uuid = " + d.Placeholder(1)
				if err := db.QueryRow(q, uuid).Scan(&raw); err != nil {
					t.Fatalf("read metadata column: %v", err)
				}
				var md map[string]string
				if err := json.Unmarshal(raw, &md); err != nil {
					t.Fatalf("metadata column %q: %v", raw, err)
				}
				return md
			}
			if md := column(ev.UUID); md[metadata.KeyID] != "" || md[metadata.KeyType] != "tests.e.v1" {
				t.Errorf("event's metadata column = %v, want it without ce_id", md)
			}
			if md := column(other.UUID); md[metadata.KeyID] != "another-id" {
				t.Errorf("metadata column of an id other than the uuid = %v, want ce_id kept", md)
			}
			// The subscriber keeps polling (on SQLite inside a write transaction)
			// until it is closed; close it before dropping its tables.
			cancel()
			if err := sub.Close(); err != nil {
				t.Errorf("close subscriber: %v", err)
			}
			for _, name := range []string{table, quote("watermill_offsets_" + topic)} {
				if _, err := db.Exec("DROP TABLE IF EXISTS " + name); err != nil {
					t.Errorf("drop %s: %v", name, err)
				}
			}
		})
	}
}
