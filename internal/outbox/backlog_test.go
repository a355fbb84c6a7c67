package outbox_test

import (
	"database/sql"
	"path/filepath"

	"context"

	"github.com/ThreeDotsLabs/watermill/message"

	"testing"
	"time"

	"github.com/millrace/millrace/internal/outbox"
	"github.com/millrace/millrace/internal/sqldb"
)

// TestBacklogCountsRowsNotRelayed writes three committed events and one rolled back:
// the backlog is 3 before the relay runs and drops to 0 once it relayed them.
func TestBacklogCountsRowsNotRelayed(t *testing.T) {
	e := newRelayEnv(t, "{kind: gochannel}")
	ctx := context.Background()
	if n, err := e.ob.Backlog(ctx); err != nil || n != 0 {
		t.Fatalf("empty outbox: backlog %d, %v; want 0", n, err)
	}
	for i := range 3 {
		e.publish(t, i, false)
	}
	e.publish(t, 3, true)
	if n, err := e.ob.Backlog(ctx); err != nil || n != 3 {
		t.Fatalf("before relaying: backlog %d, %v; want 3", n, err)
	}
	ch := e.subscribe(t)
	e.run(t)
	for range 3 {
		select {
		case m := <-ch:
			m.Ack()
		case <-time.After(30 * time.Second):
			t.Fatal("event not relayed")
		}
	}
	e.waitEmptyBacklog(t)
}

// TestBacklogSQLite counts committed rows of an outbox in SQLite, whose query differs
// in placeholders.
func TestBacklogSQLite(t *testing.T) {
	db, err := sql.Open(sqldb.SQLite.Driver(), filepath.Join(t.TempDir(), "ob.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	ob, err := outbox.New(ctx, db, outbox.Config{Dialect: sqldb.SQLite, Source: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if err := ob.Publish(ctx, tx, ping{Seq: i}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := ob.Backlog(ctx); err != nil || n != 2 {
		t.Errorf("backlog %d, %v; want 2", n, err)
	}
}

// recordingPublisher records the topics published through it.
type recordingPublisher struct {
	next   message.Publisher
	topics *[]string
}

func (r recordingPublisher) Publish(topic string, msgs ...*message.Message) error {
	*r.topics = append(*r.topics, topic)
	return r.next.Publish(topic, msgs...)
}

func (r recordingPublisher) Close() error { return r.next.Close() }

// TestDecoratorsWrapTheWritePath checks that Config.Decorators see every event written
// on its own topic, before the forwarder envelope, and that the row is still written.
func TestDecoratorsWrapTheWritePath(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "ob.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var topics []string
	ctx := context.Background()
	ob, err := outbox.New(ctx, db, outbox.Config{Dialect: sqldb.SQLite, Source: "test", Topic: "ob",
		Decorators: []message.PublisherDecorator{func(p message.Publisher) (message.Publisher, error) {
			return recordingPublisher{next: p, topics: &topics}, nil
		}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := ob.Publish(ctx, tx, ping{Seq: 1}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if len(topics) != 1 || topics[0] != "ping" {
		t.Errorf("decorator saw topics %v, want [ping]", topics)
	}
	if n, err := ob.Backlog(ctx); err != nil || n != 1 {
		t.Errorf("backlog %d, %v; want the row written", n, err)
	}
}
