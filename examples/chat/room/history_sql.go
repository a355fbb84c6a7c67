package room

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"slices"

	"github.com/millrace/millrace/internal/migrate"
	"github.com/millrace/millrace/internal/sqldb"
)

// DefaultSQLHistoryTable is the table of PostgresHistory.
const DefaultSQLHistoryTable = "millrace_chat_history"

// tableName leaves room for the version table, <table>_migrations, within PostgreSQL's
// 63 bytes.
var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,51}$`)

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

//go:embed migrations/*.sql
var migrations embed.FS

// createTable brings the table to its newest schema version.
func (h *PostgresHistory) createTable(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return migrate.Up(ctx, h.db, migrate.Config{
		Dialect:      sqldb.Postgres,
		VersionTable: h.table + "_migrations",
		Migrations:   fsys,
		Vars:         map[string]string{"Table": h.table},
	})
}

// Append inserts msg; a message id already stored is ignored.
func (h *PostgresHistory) Append(ctx context.Context, msg *MessageSent) error {
	_, err := h.db.ExecContext(ctx, `INSERT INTO `+h.table+` (message_id, room, name, text, sent_at, connection_id)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING`,
		msg.MessageID, msg.Room, msg.Name, msg.Text, msg.SentAt, msg.ConnectionID)
	if err != nil {
		return fmt.Errorf("postgres history: append to %s: %w", msg.Room, err)
	}
	return nil
}

// Recent returns the last n messages of room, oldest first.
func (h *PostgresHistory) Recent(ctx context.Context, room string, n int) ([]MessageSent, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT message_id, room, name, text, sent_at, connection_id FROM `+h.table+`
		WHERE room = $1 ORDER BY id DESC LIMIT $2`, room, n)
	if err != nil {
		return nil, fmt.Errorf("postgres history: read %s: %w", room, err)
	}
	defer rows.Close()
	var msgs []MessageSent
	for rows.Next() {
		var m MessageSent
		if err := rows.Scan(&m.MessageID, &m.Room, &m.Name, &m.Text, &m.SentAt, &m.ConnectionID); err != nil {
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
