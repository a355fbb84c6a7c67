package chat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
)

// DefaultSQLHistoryTable is the table of PostgresHistory.
const DefaultSQLHistoryTable = "millrace_chat_history"

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// PostgresHistory keeps every message in a PostgreSQL table, one row per message
// (unique by message id), and reads each room's last ones in insertion order.
type PostgresHistory struct {
	db    *sql.DB
	table string
}

var _ History = (*PostgresHistory)(nil)

// NewPostgresHistory returns a PostgresHistory on db, creating table (default
// DefaultSQLHistoryTable) if it does not exist. The caller owns db.
func NewPostgresHistory(ctx context.Context, db *sql.DB, table string) (*PostgresHistory, error) {
	if table == "" {
		table = DefaultSQLHistoryTable
	}
	if !tableName.MatchString(table) {
		return nil, fmt.Errorf("postgres history: invalid table name %q", table)
	}
	h := &PostgresHistory{db: db, table: table}
	if err := h.createTable(ctx); err != nil {
		return nil, fmt.Errorf("postgres history: create table %s: %w", table, err)
	}
	return h, nil
}

// createTable creates the table under an advisory lock: concurrent CREATE TABLE IF NOT
// EXISTS of one table can fail on PostgreSQL.
func (h *PostgresHistory) createTable(ctx context.Context) error {
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	f := fnv.New64a()
	_, _ = f.Write([]byte("millrace schema " + h.table))
	queries := []string{
		"SELECT pg_advisory_xact_lock(" + fmt.Sprint(int64(f.Sum64())) + ")",
		`CREATE TABLE IF NOT EXISTS ` + h.table + ` (
			id BIGSERIAL PRIMARY KEY,
			message_id TEXT NOT NULL UNIQUE,
			room TEXT NOT NULL,
			name TEXT NOT NULL,
			text TEXT NOT NULL,
			sent_at TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS ` + h.table + `_room_id ON ` + h.table + ` (room, id)`,
	}
	for _, q := range queries {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return errors.Join(err, tx.Rollback())
		}
	}
	return tx.Commit()
}

// Append inserts msg; a message id already stored is ignored.
func (h *PostgresHistory) Append(ctx context.Context, msg *MessageSent) error {
	_, err := h.db.ExecContext(ctx, `INSERT INTO `+h.table+` (message_id, room, name, text, sent_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (message_id) DO NOTHING`,
		msg.MessageID, msg.Room, msg.Name, msg.Text, msg.SentAt)
	if err != nil {
		return fmt.Errorf("postgres history: append to %s: %w", msg.Room, err)
	}
	return nil
}

// Recent returns the last n messages of room, oldest first.
func (h *PostgresHistory) Recent(ctx context.Context, room string, n int) ([]MessageSent, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT message_id, room, name, text, sent_at FROM `+h.table+`
		WHERE room = $1 ORDER BY id DESC LIMIT $2`, room, n)
	if err != nil {
		return nil, fmt.Errorf("postgres history: read %s: %w", room, err)
	}
	defer rows.Close()
	var msgs []MessageSent
	for rows.Next() {
		var m MessageSent
		if err := rows.Scan(&m.MessageID, &m.Room, &m.Name, &m.Text, &m.SentAt); err != nil {
			return nil, fmt.Errorf("postgres history: scan %s: %w", room, err)
		}
		m.SentAt = m.SentAt.UTC()
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres history: read %s: %w", room, err)
	}
	slices.Reverse(msgs)
	return msgs, nil
}
