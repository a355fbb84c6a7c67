package deliverylog

import (
	"context"
	stdsql "database/sql"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/millrace/millrace/internal/migrate"
	"github.com/millrace/millrace/internal/sqldb"
)

// Row kinds.
const (
	kindPublish = "publish"
	kindOutcome = "outcome"
	// kindRequest rows are HTTP requests: method in event_type, path in topic, status
	// in outcome, service in handler.
	kindRequest = "request"
)

// maxReason bounds the stored error text of an outcome, in bytes.
const maxReason = 2000

// row is one row of the log table.
type row struct {
	kind          string
	messageID     string
	correlationID string
	causationID   string
	eventType     string
	topic         string
	transport     string
	// handler is the handler of an outcome, or the handler that published a message
	// (empty when it was not published while handling one).
	handler  string
	outcome  string
	attempts int
	reason   string
	atNanos  int64
}

// columns in insert and select order.
const columns = "kind, message_id, correlation_id, causation_id, event_type, topic, transport, handler, outcome, attempts, reason, at_ns"

const numColumns = 12

func (r row) args() []any {
	return []any{r.kind, r.messageID, r.correlationID, r.causationID, r.eventType, r.topic, r.transport, r.handler, r.outcome, r.attempts, r.reason, r.atNanos}
}

// identifier leaves room for the version table, <table>_migrations, within PostgreSQL's
// 63 bytes.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,51}$`)

func validIdentifier(s string) bool { return identifier.MatchString(s) }

// store is the log table in one database.
type store struct {
	db      *stdsql.DB
	dialect sqldb.Dialect
	table   string
}

func (s *store) quoted() string { return s.dialect.Quote(s.table) }

func (s *store) arg(n int) string { return s.dialect.Placeholder(n) }

// migrations are the log table's schema versions, one folder per dialect; add a file
// 0000N_what.sql to each to change it.
//
//go:embed migrations
var migrations embed.FS

// init brings the table to its newest schema version.
func (s *store) init(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return fmt.Errorf("create table %s: %w", s.table, err)
	}
	err = migrate.Up(ctx, s.db, migrate.Config{
		Dialect:      s.dialect,
		VersionTable: s.table + "_migrations",
		Migrations:   fsys,
		Vars:         map[string]string{"Table": s.table},
	})
	if err != nil {
		return fmt.Errorf("create table %s: %w", s.table, err)
	}
	return nil
}

// insert writes rows with one multi-row INSERT.
func (s *store) insert(ctx context.Context, rows []row) error {
	var b strings.Builder
	b.WriteString("INSERT INTO " + s.quoted() + " (" + columns + ") VALUES ")
	args := make([]any, 0, len(rows)*numColumns)
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range numColumns {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(s.arg(i*numColumns + j + 1))
		}
		b.WriteByte(')')
		args = append(args, r.args()...)
	}
	if _, err := s.db.ExecContext(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("insert %d rows into %s: %w", len(rows), s.table, err)
	}
	return nil
}

// query returns the rows of correlationID in time order.
func (s *store) query(ctx context.Context, correlationID string) ([]row, error) {
	q := "SELECT " + columns + " FROM " + s.quoted() + " WHERE correlation_id = " + s.arg(1) + " ORDER BY at_ns, id"
	rs, err := s.db.QueryContext(ctx, q, correlationID)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.table, err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.kind, &r.messageID, &r.correlationID, &r.causationID, &r.eventType, &r.topic, &r.transport, &r.handler, &r.outcome, &r.attempts, &r.reason, &r.atNanos); err != nil {
			return nil, fmt.Errorf("read %s: %w", s.table, err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", s.table, err)
	}
	return out, nil
}

// prune deletes the rows older than beforeNanos.
func (s *store) prune(ctx context.Context, beforeNanos int64) (int64, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM "+s.quoted()+" WHERE at_ns < "+s.arg(1), beforeNanos)
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", s.table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", s.table, err)
	}
	return n, nil
}
