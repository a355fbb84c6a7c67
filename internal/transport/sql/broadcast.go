package sql

import (
	"context"
	"fmt"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"

	"github.com/millrace/millrace/internal/sqldb"
)

// startAtEnd gives a broadcast consumer group that has no offsets row yet one at the
// topic's last committed message, so a new instance receives only what is published
// from now on, like a new AMQP queue or a Redis group created at "$", instead of the
// whole table. A group that has a row (an instance resuming) keeps it. It runs once
// per process, topic and group, before the group's first poll.
//
// SQLite is not handled: its broadcast groups still start at the first row.
//
// On PostgreSQL the start is the newest row whose transaction is older than every
// transaction still running (the horizon Watermill's subscriber reads up to), so a
// message whose transaction commits after the subscription starts is still delivered.
func (t *sqlTransport) startAtEnd(ctx context.Context, topic, group string) error {
	key := "end\x00" + topic + "\x00" + group
	if _, ok := t.groups.Load(key); ok {
		return nil
	}
	t.initMu.Lock()
	defer t.initMu.Unlock()
	if _, ok := t.groups.Load(key); ok {
		return nil
	}
	var q wsql.Query
	switch t.dialect {
	case sqldb.Postgres:
		offsets := wsql.DefaultPostgreSQLOffsetsAdapter{}.MessagesOffsetsTable(topic)
		messages := wsql.DefaultPostgreSQLSchema{}.MessagesTable(topic)
		q = wsql.Query{Query: `INSERT INTO ` + offsets + ` (consumer_group, offset_acked, last_processed_transaction_id)
			SELECT $1, COALESCE(last."offset", 0), COALESCE(last.transaction_id, '0')
			FROM (SELECT 1) AS one LEFT JOIN (
				SELECT "offset", transaction_id FROM ` + messages + `
				WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
				ORDER BY transaction_id DESC, "offset" DESC LIMIT 1
			) AS last ON true
			ON CONFLICT (consumer_group) DO NOTHING`, Args: []any{group}}
	case sqldb.MySQL:
		// Publishes to a MySQL topic commit in offset order (publishSerialized), so the
		// highest offset is the end.
		offsets := wsql.DefaultMySQLOffsetsAdapter{}.MessagesOffsetsTable(topic)
		messages := wsql.DefaultMySQLSchema{}.MessagesTable(topic)
		var n int
		if err := t.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+offsets+" WHERE consumer_group = ?", group).Scan(&n); err != nil {
			return fmt.Errorf("sql transport %q: read offsets of group %q on %q: %w", t.name, group, topic, err)
		}
		if n > 0 {
			t.groups.Store(key, true)
			return nil
		}
		q = wsql.Query{Query: "INSERT IGNORE INTO " + offsets + " (consumer_group, offset_acked, offset_consumed) " +
			"SELECT ?, COALESCE(MAX(`offset`), 0), COALESCE(MAX(`offset`), 0) FROM " + messages, Args: []any{group}}
	default:
		return nil
	}
	if _, err := t.db.ExecContext(ctx, q.Query, q.Args...); err != nil {
		return fmt.Errorf("sql transport %q: start broadcast group %q at the end of %q: %w", t.name, group, topic, err)
	}
	t.groups.Store(key, true)
	return nil
}
