package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/millrace/millrace/internal/sqldb"
)

// Schema is the watermill-sql table layout millrace uses for one dialect: the SQL
// transport publishes and subscribes with it, and a transactional outbox writes its rows
// with it inside the producer's own transaction, so both agree on tables, payload column
// type and the ordering rules of the dialect.
type Schema struct {
	// Dialect is "postgres", "mysql" or "sqlite" (see internal/sqldb).
	Dialect string
	// Driver is the database/sql driver name for the dialect.
	Driver string
	// Messages and Offsets are the watermill-sql adapters.
	Messages wsql.SchemaAdapter
	Offsets  wsql.OffsetsAdapter

	dialect sqldb.Dialect
}

// NewSchema returns the schema of dialect.
func NewSchema(dialect string) (Schema, error) {
	d, err := sqldb.ParseDialect(dialect)
	if err != nil {
		return Schema{}, fmt.Errorf("sql: %w", err)
	}
	s := Schema{Dialect: dialect, Driver: d.Driver(), dialect: d}
	switch d {
	case sqldb.Postgres:
		s.Messages, s.Offsets = postgresSchema{}, wsql.DefaultPostgreSQLOffsetsAdapter{}
	case sqldb.MySQL:
		s.Messages, s.Offsets = mysqlSchema{}, wsql.DefaultMySQLOffsetsAdapter{}
	default:
		s.Messages, s.Offsets = sqliteSchema{}, sqliteOffsets{}
	}
	return s, nil
}

// CheckTopic rejects a topic whose messages or offsets table name the database would cut
// or refuse. The offsets table, watermill_offsets_<topic>, is the longer one.
func (s Schema) CheckTopic(topic string) error {
	name := "watermill_offsets_" + topic
	if max := s.dialect.MaxIdentifier(); len(name) > max {
		return fmt.Errorf("topic %q is too long: table %q is %d bytes, %s allows %d (topic at most %d bytes)",
			topic, name, len(name), s.Dialect, max, max-len("watermill_offsets_"))
	}
	return nil
}

// Initialize creates the messages and offsets tables of topic if they do not exist. On
// PostgreSQL, creation runs under a transaction-scoped advisory lock, since concurrent
// CREATE TABLE IF NOT EXISTS of one table can fail with a duplicate pg_type entry; on
// MySQL it also creates the topic's row in the publish locks table (see PublishInTx).
func (s Schema) Initialize(ctx context.Context, db *stdsql.DB, topic string) error {
	if err := s.CheckTopic(topic); err != nil {
		return err
	}
	queries := append(s.Messages.SchemaInitializingQueries(topic), s.Offsets.SchemaInitializingQueries(topic)...)
	if s.dialect == sqldb.MySQL {
		queries = append(queries,
			wsql.Query{Query: "CREATE TABLE IF NOT EXISTS " + publishLocksTable + " (topic VARCHAR(255) NOT NULL PRIMARY KEY)"},
			wsql.Query{Query: "INSERT IGNORE INTO " + publishLocksTable + " (topic) VALUES (?)", Args: []any{topic}},
		)
	}
	if s.dialect != sqldb.Postgres {
		for _, q := range queries {
			if _, err := db.ExecContext(ctx, q.Query, q.Args...); err != nil {
				return fmt.Errorf("initialize schema of %q: %w", topic, err)
			}
		}
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("initialize schema of %q: %w", topic, err)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("millrace schema " + topic))
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
		return fmt.Errorf("initialize schema of %q: %w", topic, errors.Join(err, tx.Rollback()))
	}
	for _, q := range queries {
		if _, err := tx.ExecContext(ctx, q.Query, q.Args...); err != nil {
			return fmt.Errorf("initialize schema of %q: %w", topic, errors.Join(err, tx.Rollback()))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("initialize schema of %q: %w", topic, err)
	}
	return nil
}

// PublishInTx inserts msgs into topic's table inside tx, so they become visible to
// subscribers when, and only if, tx commits. The topic's tables must exist (Initialize).
//
// On MySQL it first locks the topic's row in the publish locks table, so the inserts of
// one topic commit in the order of their AUTO_INCREMENT offsets. Watermill's MySQL
// subscriber reads rows with an offset above the group's last acked offset; concurrent
// inserts take their offsets in one order and may commit in another, and a subscriber
// that acks offset 11 before offset 10 commits never reads 10. PostgreSQL needs no lock:
// its schema orders rows by transaction id. SQLite has a single writer.
func (s Schema) PublishInTx(ctx context.Context, tx *stdsql.Tx, topic string, msgs ...*message.Message) error {
	if s.dialect == sqldb.MySQL {
		var locked string
		err := tx.QueryRowContext(ctx, "SELECT topic FROM "+publishLocksTable+" WHERE topic = ? FOR UPDATE", topic).Scan(&locked)
		if err != nil {
			return fmt.Errorf("lock topic %q for publishing: %w", topic, err)
		}
	}
	pub, err := wsql.NewPublisher(tx, wsql.PublisherConfig{SchemaAdapter: s.Messages}, watermill.NopLogger{})
	if err != nil {
		return fmt.Errorf("sql publisher: %w", err)
	}
	if err := pub.Publish(topic, msgs...); err != nil {
		return fmt.Errorf("insert into %q: %w", topic, err)
	}
	return nil
}

// TxPublisher returns a message.Publisher that writes to the tables of this schema
// inside tx with PublishInTx. It is meant to live as long as tx.
func (s Schema) TxPublisher(ctx context.Context, tx *stdsql.Tx) message.Publisher {
	return txPublisher{ctx: ctx, tx: tx, s: s}
}

type txPublisher struct {
	ctx context.Context
	tx  *stdsql.Tx
	s   Schema
}

func (p txPublisher) Publish(topic string, msgs ...*message.Message) error {
	return p.s.PublishInTx(p.ctx, p.tx, topic, msgs...)
}

func (txPublisher) Close() error { return nil }

// SubscriberConfig is the watermill-sql subscriber configuration of this schema for
// consumer group, polling every pollInterval when idle. Tables are created by
// Initialize, not by the subscriber.
func (s Schema) SubscriberConfig(group string, pollInterval time.Duration) wsql.SubscriberConfig {
	return wsql.SubscriberConfig{
		ConsumerGroup:    group,
		PollInterval:     pollInterval,
		ResendInterval:   pollInterval,
		SchemaAdapter:    s.Messages,
		OffsetsAdapter:   s.Offsets,
		InitializeSchema: false,
	}
}
