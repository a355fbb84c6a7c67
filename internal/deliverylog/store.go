package deliverylog

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"

	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
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

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

func validIdentifier(s string) bool { return identifier.MatchString(s) }

// openDB opens the database of a sql transport the way the transport does.
func openDB(cfg *topology.SQLConfig) (*stdsql.DB, error) {
	sch, err := transport.NewSQLSchema(cfg.Dialect)
	if err != nil {
		return nil, err
	}
	dsn := cfg.DSN.Reveal()
	if cfg.Dialect == topology.DialectSQLite && !strings.HasPrefix(dsn, "file:") {
		if err := transport.EnsureSQLiteDir(dsn); err != nil {
			return nil, err
		}
		dsn = transport.SQLiteDSN(dsn)
	}
	db, err := stdsql.Open(sch.Driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s %s: %w", cfg.Dialect, cfg.DSN, err)
	}
	return db, nil
}

// store is the log table in one database.
type store struct {
	db      *stdsql.DB
	dialect string
	table   string
}

func (s *store) quoted() string {
	if s.dialect == topology.DialectMySQL {
		return "`" + s.table + "`"
	}
	return `"` + s.table + `"`
}

func (s *store) arg(n int) string {
	if s.dialect == topology.DialectPostgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// init creates the table and its index if they do not exist.
func (s *store) init(ctx context.Context) error {
	t := s.quoted()
	idx := s.table + "_correlation"
	switch s.dialect {
	case topology.DialectPostgres:
		// Concurrent CREATE TABLE IF NOT EXISTS of one table can fail on PostgreSQL;
		// an advisory lock serializes the processes that create it.
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("create table %s: %w", s.table, err)
		}
		h := fnv.New64a()
		h.Write([]byte("millrace delivery log " + s.table))
		stmts := []string{
			`CREATE TABLE IF NOT EXISTS ` + t + ` (
				id BIGSERIAL PRIMARY KEY,
				kind VARCHAR(16) NOT NULL,
				message_id VARCHAR(255) NOT NULL,
				correlation_id VARCHAR(255) NOT NULL,
				causation_id VARCHAR(255) NOT NULL,
				event_type VARCHAR(255) NOT NULL,
				topic VARCHAR(255) NOT NULL,
				transport VARCHAR(255) NOT NULL,
				handler VARCHAR(255) NOT NULL,
				outcome VARCHAR(16) NOT NULL,
				attempts INTEGER NOT NULL,
				reason TEXT NOT NULL,
				at_ns BIGINT NOT NULL)`,
			`CREATE INDEX IF NOT EXISTS "` + idx + `" ON ` + t + ` (correlation_id, at_ns)`,
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
			return errors.Join(fmt.Errorf("create table %s: lock: %w", s.table, err), tx.Rollback())
		}
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return errors.Join(fmt.Errorf("create table %s: %w", s.table, err), tx.Rollback())
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("create table %s: %w", s.table, err)
		}
		return nil
	case topology.DialectMySQL:
		_, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+t+` (
			id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
			kind VARCHAR(16) NOT NULL,
			message_id VARCHAR(255) NOT NULL,
			correlation_id VARCHAR(255) NOT NULL,
			causation_id VARCHAR(255) NOT NULL,
			event_type VARCHAR(255) NOT NULL,
			topic VARCHAR(255) NOT NULL,
			transport VARCHAR(255) NOT NULL,
			handler VARCHAR(255) NOT NULL,
			outcome VARCHAR(16) NOT NULL,
			attempts INT NOT NULL,
			reason TEXT NOT NULL,
			at_ns BIGINT NOT NULL,
			INDEX `+"`"+idx+"`"+` (correlation_id, at_ns)
		) DEFAULT CHARSET=utf8mb4`)
		if err != nil {
			return fmt.Errorf("create table %s: %w", s.table, err)
		}
		return nil
	case topology.DialectSQLite:
		stmts := []string{
			`CREATE TABLE IF NOT EXISTS ` + t + ` (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				kind TEXT NOT NULL,
				message_id TEXT NOT NULL,
				correlation_id TEXT NOT NULL,
				causation_id TEXT NOT NULL,
				event_type TEXT NOT NULL,
				topic TEXT NOT NULL,
				transport TEXT NOT NULL,
				handler TEXT NOT NULL,
				outcome TEXT NOT NULL,
				attempts INTEGER NOT NULL,
				reason TEXT NOT NULL,
				at_ns INTEGER NOT NULL)`,
			`CREATE INDEX IF NOT EXISTS "` + idx + `" ON ` + t + ` (correlation_id, at_ns)`,
		}
		for _, q := range stmts {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("create table %s: %w", s.table, err)
			}
		}
		return nil
	default:
		return fmt.Errorf("unknown dialect %q", s.dialect)
	}
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
