package sql_test

import (
	"bytes"
	"context"
	stdsql "database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

// TestPostgresPayloadIsBinary publishes bytes that are not JSON through the Postgres
// transport, checks they come back unchanged and that the payload column is BYTEA.
func TestPostgresPayloadIsBinary(t *testing.T) {
	dsn := testenv.Postgres(t)
	tr := transporttest.Open(t, transporttest.Parse(t, "pg", fmt.Sprintf(
		"{kind: sql, dialect: postgres, dsn: %q, poll_interval: 10ms}", dsn)))
	topic := transporttest.Topic("binary")
	payload := []byte{0xff, 0x00, 0xfe, '{', 0x80}

	pub, err := tr.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if err := pub.Publish(topic, message.NewMessage(watermill.NewUUID(), payload)); err != nil {
		t.Fatalf("publish non-JSON payload: %v", err)
	}

	sub, err := tr.NewSubscriber(transport.SubscriberOptions{Group: "binary", Delivery: topology.Shared})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-ch:
		msg.Ack()
		if !bytes.Equal(msg.Payload, payload) {
			t.Errorf("payload = %x, want %x", msg.Payload, payload)
		}
	case <-ctx.Done():
		t.Fatal("no message received")
	}

	db, err := stdsql.Open(sqldb.Postgres.Driver(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var typ string
	err = db.QueryRow(`SELECT data_type FROM information_schema.columns WHERE table_name = $1 AND column_name = 'payload'`,
		"watermill_"+topic).Scan(&typ)
	if err != nil {
		t.Fatalf("payload column type: %v", err)
	}
	if typ != "bytea" {
		t.Errorf("payload column type = %q, want bytea", typ)
	}
	for _, table := range []string{"watermill_" + topic, "watermill_offsets_" + topic} {
		if _, err := db.Exec(`DROP TABLE IF EXISTS "` + table + `"`); err != nil {
			t.Errorf("drop %s: %v", table, err)
		}
	}
}

// TestSQLTopicTooLong checks that a topic whose offsets table name would pass the
// PostgreSQL identifier limit is rejected by name at publish and subscribe.
func TestSQLTopicTooLong(t *testing.T) {
	// No connection is made: the check runs before any query.
	tr := transporttest.Open(t, transporttest.Parse(t, "pg",
		`{kind: sql, dialect: postgres, dsn: "postgres://nobody@127.0.0.1:1/none"}`))
	ok := strings.Repeat("t", 63-len("watermill_offsets_"))
	long := ok + "x"

	pub, err := tr.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	err = pub.Publish(long, message.NewMessage(watermill.NewUUID(), nil))
	if err == nil || !strings.Contains(err.Error(), "too long") || !strings.Contains(err.Error(), long) {
		t.Errorf("publish to a %d-byte topic: err = %v, want a 'too long' error naming the topic", len(long), err)
	}

	sub, err := tr.NewSubscriber(transport.SubscriberOptions{Group: "g", Delivery: topology.Shared})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	_, err = sub.Subscribe(context.Background(), long)
	if err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("subscribe to a %d-byte topic: err = %v, want a 'too long' error", len(long), err)
	}
	si := sub.(message.SubscribeInitializer)
	if err := si.SubscribeInitialize(long); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("initialize a %d-byte topic: err = %v, want a 'too long' error", len(long), err)
	}
	// The longest allowed topic passes the check and fails only on the unreachable
	// database, so the message differs.
	if err := si.SubscribeInitialize(ok); err == nil || strings.Contains(err.Error(), "too long") {
		t.Errorf("initialize a %d-byte topic: err = %v, want a connection error", len(ok), err)
	}
}
