// Package transporttest is the one list of transport routes that the transport tests,
// Watermill's universal Pub/Sub suite on the routed bus and the router's behaviour suite
// all run on, each with the features Watermill's suite may expect of it.
package transporttest

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/millrace/millrace/internal/testenv"
	_ "github.com/millrace/millrace/internal/transport/builtin" // the shipped kinds
	"github.com/millrace/millrace/topology"
)

// Route is one transport the suites run against.
type Route struct {
	// Name names the route in test names ("sql-sqlite").
	Name string
	// Transport is the name of the transport in the topology ("lite").
	Transport string
	// yaml returns the transport's value in a topology file; it skips (or fails under
	// CI=true) when the route's service is down.
	yaml func(tb testing.TB) string
	// Features are what Watermill's universal suite may expect of the route through the
	// routed bus.
	Features tests.Features
	// InProcess routes keep their broker inside the transport: separate transports
	// (buses, instances) do not meet.
	InProcess bool
	// GroupPerPubSub makes each Pub/Sub of the universal suite's plain constructor a
	// consumer group of its own, as watermill-redisstream's own suite does: there a
	// "new subscriber" is a new consumer group, which is what
	// NewSubscriberReceivesOldMessages describes.
	GroupPerPubSub bool
	// LocksWhileHandling routes hold their database's single write lock while a message
	// they delivered is being handled (SQLite: watermill-sql keeps the reading
	// transaction open until the ack, and SQLite has one writer): a handler that
	// publishes to the same database waits for its own delivery, until the busy timeout.
	LocksWhileHandling bool
}

// YAML returns the transport's value in a topology file, such as
// `{kind: redisstream, addr: "127.0.0.1:6379", block_time: 10ms}`.
func (r Route) YAML(tb testing.TB) string {
	tb.Helper()
	return r.yaml(tb)
}

// Config returns the route's transport as the topology loader makes it, defaults filled in.
func (r Route) Config(tb testing.TB) *topology.Transport {
	tb.Helper()
	return Parse(tb, r.Transport, r.yaml(tb))
}

// Parse returns the transport named name whose value in a topology file is value
// (`{kind: redisstream, addr: "127.0.0.1:1"}`), as the loader makes it.
func Parse(tb testing.TB, name, value string) *topology.Transport {
	tb.Helper()
	src := fmt.Sprintf("version: 1\ntransports:\n  %s: %s\n", name, value)
	topo, err := topology.Parse("transport-"+name+".yaml", []byte(src))
	if err != nil {
		tb.Fatalf("transport %s: %v", name, err)
	}
	return topo.Transports[name]
}

// Routes returns every route: in memory, RabbitMQ, Redis Streams, and SQL on
// PostgreSQL, MySQL/MariaDB and SQLite.
func Routes() []Route {
	return []Route{
		{
			Name: "memory", Transport: "mem",
			yaml: func(testing.TB) string { return `{kind: gochannel}` },
			// The in-memory broker keeps each group's queue, so consumer groups work and a
			// single consumer sees publish order; unacked messages in flight when a
			// subscription ends are redelivered, so delivery is at-least-once.
			Features: tests.Features{
				ConsumerGroups:                      true,
				GuaranteedOrderWithSingleSubscriber: true,
			},
			InProcess: true,
		},
		{
			Name: "amqp", Transport: "rabbit",
			yaml: func(tb testing.TB) string {
				return fmt.Sprintf(`{kind: amqp, url: %q, reconnect_initial: 100ms, reconnect_max: 1s}`, testenv.RabbitMQ(tb))
			},
			// As watermill-amqp claims for its durable pub/sub config.
			Features: tests.Features{
				ConsumerGroups:                      true,
				GuaranteedOrder:                     true,
				GuaranteedOrderWithSingleSubscriber: true,
				Persistent:                          true,
			},
		},
		{
			Name: "redisstream", Transport: "redis",
			yaml: func(tb testing.TB) string {
				return fmt.Sprintf(`{kind: redisstream, addr: %q, block_time: 10ms, claim_interval: 3s, min_idle_time: 5s}`, testenv.Redis(tb))
			},
			// As watermill-redisstream claims; shared groups start at the stream's first
			// entry, so a new group receives old messages.
			Features: tests.Features{
				ConsumerGroups:                      true,
				GuaranteedOrderWithSingleSubscriber: true,
				Persistent:                          true,
				NewSubscriberReceivesOldMessages:    true,
			},
			GroupPerPubSub: true,
		},
		{
			Name: "sql-postgres", Transport: "pg",
			yaml: func(tb testing.TB) string {
				return fmt.Sprintf(`{kind: sql, dialect: postgres, dsn: %q, poll_interval: 10ms}`, testenv.Postgres(tb))
			},
			// As watermill-sql claims for PostgreSQL through pgx's database/sql driver.
			Features: tests.Features{
				ConsumerGroups:  true,
				GuaranteedOrder: true,
				Persistent:      true,
			},
		},
		{
			Name: "sql-mysql", Transport: "mysql",
			yaml: func(tb testing.TB) string {
				return fmt.Sprintf(`{kind: sql, dialect: mysql, dsn: %q, poll_interval: 10ms}`, testenv.MySQL(tb))
			},
			// As watermill-sql claims for MySQL: the offset moves in the transaction that
			// reads the rows.
			Features: tests.Features{
				ConsumerGroups:      true,
				ExactlyOnceDelivery: true,
				GuaranteedOrder:     true,
				Persistent:          true,
			},
		},
		{
			Name: "sql-sqlite", Transport: "lite",
			yaml: func(tb testing.TB) string {
				return fmt.Sprintf(`{kind: sql, dialect: sqlite, dsn: %q, poll_interval: 50ms}`, filepath.Join(tb.TempDir(), "bus.db"))
			},
			// One writer at a time: rows commit in offset order, and a group's offset
			// moves in the transaction that reads the rows, as on MySQL.
			Features: tests.Features{
				ConsumerGroups:      true,
				ExactlyOnceDelivery: true,
				GuaranteedOrder:     true,
				Persistent:          true,
			},
			LocksWhileHandling: true,
		},
	}
}
