package deliverylog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// tick is a clock that advances by one millisecond per reading, from noon UTC.
type tick struct {
	mu sync.Mutex
	t  time.Time
}

func newTick() *tick { return &tick{t: time.Date(2026, 1, 2, 12, 0, 1, 0, time.UTC)} }

func (c *tick) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// nopPublisher accepts every message.
type nopPublisher struct{}

func (nopPublisher) Publish(string, ...*message.Message) error { return nil }
func (nopPublisher) Close() error                              { return nil }

// storeTopology returns a topology whose trace store is a sql transport of dialect.
func storeTopology(t testing.TB, dialect sqldb.Dialect, dsn string) *topology.Topology {
	t.Helper()
	src := fmt.Sprintf(`version: 1
transports:
  rabbit: {kind: amqp, url: "amqp://guest:guest@127.0.0.1:5672/"}
  db: {kind: sql, dialect: %s, dsn: %q}
topics:
  users.registered: {transport: rabbit}
  mail.sent: {transport: rabbit}
  users.registered.poison: {transport: db}
trace: {store: db}
`, dialect, dsn)
	topo, err := topology.ParseWithEnv("store.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// newMessage is a message of type typ in flow corr caused by causation.
func newMessage(typ, corr, causation string) *message.Message {
	msg := message.NewMessage(watermill.NewUUID(), []byte("{}"))
	msg.Metadata.Set(metadata.KeyType, typ)
	msg.Metadata.Set(metadata.KeyCorrelationID, corr)
	if causation != "" {
		msg.Metadata.Set(metadata.KeyCausationID, causation)
	}
	return msg
}

// TestLogStores records a registration flow through the publisher decorator and the
// instrument hooks on each dialect, and reads it back.
func TestLogStores(t *testing.T) {
	stores := []struct {
		dialect sqldb.Dialect
		dsn     func(tb testing.TB) string
	}{
		{sqldb.SQLite, func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "log.db") }},
		{sqldb.Postgres, testenv.Postgres},
		{sqldb.MySQL, testenv.MySQL},
	}
	for _, s := range stores {
		t.Run(string(s.dialect), func(t *testing.T) {
			t.Parallel()
			topo := storeTopology(t, s.dialect, s.dsn(t))
			table := "dl_test_" + strings.ReplaceAll(watermill.NewShortUUID(), "-", "")
			ctx := context.Background()
			clk := newTick()
			cfg := deliverylog.Config{Topology: topo, Table: table, Now: clk.Now, FlushInterval: 10 * time.Millisecond}
			dl, err := deliverylog.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { dropTable(t, topo, table) })
			pub, err := dl.DecoratePublisher(nopPublisher{})
			if err != nil {
				t.Fatal(err)
			}

			corr := "corr-" + watermill.NewShortUUID()
			reg := newMessage("users.registered.v1", corr, "")
			other := newMessage("users.registered.v1", "other-"+corr, "")
			if err := pub.Publish("users.registered", reg, other); err != nil {
				t.Fatal(err)
			}

			// send-verification-email fails twice, then publishes mail.sent.
			mailer := router.Registration{Handler: "send-verification-email", Topic: "users.registered", MaxAttempts: 5}
			dctx, endDelivery := dl.StartDelivery(ctx, mailer, reg)
			var sent *message.Message
			for attempt := 1; attempt <= 3; attempt++ {
				actx, endAttempt := dl.StartAttempt(dctx, mailer, reg, attempt)
				if attempt < 3 {
					endAttempt(router.OutcomeRetry, errors.New("smtp: connection refused"))
					continue
				}
				sent = newMessage("mail.sent.v1", corr, reg.UUID)
				sent.SetContext(actx)
				if err := pub.Publish("mail.sent", sent); err != nil {
					t.Fatal(err)
				}
				endAttempt(router.OutcomeOK, nil)
			}
			endDelivery(router.OutcomeOK)

			// update-stats fails for good: the message is poisoned.
			stats := router.Registration{Handler: "update-stats", Topic: "users.registered", PoisonTopic: "users.registered.poison", MaxAttempts: 1}
			dctx, endDelivery = dl.StartDelivery(ctx, stats, reg)
			_, endAttempt := dl.StartAttempt(dctx, stats, reg, 1)
			endAttempt(router.OutcomePoison, router.Permanent(errors.New("bad payload")))
			reg.SetContext(dctx)
			if err := pub.Publish("users.registered.poison", reg); err != nil {
				t.Fatal(err)
			}
			endDelivery(router.OutcomePoison)

			rd, tree := closeAndRead(t, dl, cfg, corr)
			var buf bytes.Buffer
			if err := deliverylog.WriteText(&buf, tree, time.UTC); err != nil {
				t.Fatal(err)
			}
			want := "users.registered v1 (topic users.registered via rabbit) 12:00:01.001\n" +
				"  └ send-verification-email: ok after 2 retries\n" +
				"    └ mail.sent v1 (topic mail.sent via rabbit) 12:00:01.002\n" +
				"  └ update-stats: poisoned after 1 attempt: bad payload (millrace poison show " + reg.UUID + ")\n" +
				"  └ copied to topic users.registered.poison via db 12:00:01.004\n"
			if buf.String() != want {
				t.Errorf("tree:\n%s\nwant:\n%s", buf.String(), want)
			}
			if got := tree.Messages[0].Children[0].ID; got != sent.UUID {
				t.Errorf("child id %s, want mail.sent %s", got, sent.UUID)
			}

			if _, err := rd.Tree(ctx, "missing-"+corr); !errors.Is(err, deliverylog.ErrNotFound) {
				t.Errorf("Tree of an unknown id: %v, want ErrNotFound", err)
			}

			// The clock started in 2026: everything recorded is before 2027.
			n, err := rd.Prune(ctx, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			if n != 6 {
				t.Errorf("Prune deleted %d rows, want 6", n)
			}
			if _, err := rd.Tree(ctx, corr); !errors.Is(err, deliverylog.ErrNotFound) {
				t.Errorf("Tree after Prune: %v, want ErrNotFound", err)
			}
		})
	}
}

// dropTable removes a test's log table.
func dropTable(t *testing.T, topo *topology.Topology, table string) {
	tr, _ := topo.Transport("db")
	if d, _, _ := sqldb.Of(tr); d == sqldb.SQLite {
		return // in t.TempDir
	}
	db, _, err := sqldb.OpenTransport(tr)
	if err != nil {
		t.Error(err)
		return
	}
	defer db.Close()
	if _, err := db.Exec("DROP TABLE IF EXISTS " + table); err != nil {
		t.Errorf("drop %s: %v", table, err)
	}
}

// TestDroppedAfterClose counts a publish recorded after Close as dropped, without
// failing the publish.
func TestDroppedAfterClose(t *testing.T) {
	t.Parallel()
	topo := storeTopology(t, sqldb.SQLite, filepath.Join(t.TempDir(), "log.db"))
	dl, err := deliverylog.Open(context.Background(), deliverylog.Config{Topology: topo})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := dl.DecoratePublisher(nopPublisher{})
	if err != nil {
		t.Fatal(err)
	}
	if err := dl.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish("mail.sent", newMessage("mail.sent.v1", "c", ""), newMessage("mail.sent.v1", "c", "")); err != nil {
		t.Fatalf("publish after Close: %v", err)
	}
	if n := dl.Dropped(); n != 2 {
		t.Errorf("Dropped = %d, want 2", n)
	}
	if err := dl.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestOpenWithoutStore reports ErrNoStore for a topology without a trace section.
func TestOpenWithoutStore(t *testing.T) {
	t.Parallel()
	topo, err := topology.ParseWithEnv("t.yaml", []byte("version: 1\ntransports:\n  mem: {kind: gochannel}\ntopics:\n  a: {transport: mem}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := deliverylog.Open(context.Background(), deliverylog.Config{Topology: topo}); !errors.Is(err, deliverylog.ErrNoStore) {
		t.Errorf("Open: %v, want ErrNoStore", err)
	}
}

// closeAndRead closes dl (which writes what it holds), checks that it dropped nothing,
// and opens the log afresh on cfg (with the real clock): it returns that log, closed
// when the test ends, and the tree of corr it reads.
func closeAndRead(t *testing.T, dl *deliverylog.Log, cfg deliverylog.Config, corr string) (*deliverylog.Log, *deliverylog.Tree) {
	t.Helper()
	if err := dl.Close(); err != nil {
		t.Fatal(err)
	}
	if n := dl.Dropped(); n != 0 {
		t.Errorf("Dropped = %d", n)
	}
	cfg.Now = nil
	rd, err := deliverylog.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rd.Close() })
	tree, err := rd.Tree(context.Background(), corr)
	if err != nil {
		t.Fatal(err)
	}
	return rd, tree
}
