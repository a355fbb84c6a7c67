package account

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/millrace/millrace/internal/migrate"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// Store is the users database: PostgreSQL or SQLite through database/sql.
type Store struct {
	db      *sql.DB
	dialect string
}

// Open opens the database of dialect (topology.DialectPostgres or DialectSQLite) at dsn
// and creates the tables if they do not exist. For SQLite, dsn may be a plain file
// path: it is given the settings of transport.SQLiteDSN.
func Open(ctx context.Context, dialect, dsn string) (*Store, error) {
	schema, err := transport.NewSQLSchema(dialect)
	if err != nil {
		return nil, fmt.Errorf("users store: %w", err)
	}
	if dialect != topology.DialectPostgres && dialect != topology.DialectSQLite {
		return nil, fmt.Errorf("users store: dialect %q not supported (postgres or sqlite)", dialect)
	}
	if dialect == topology.DialectSQLite && !strings.HasPrefix(dsn, "file:") {
		if err := transport.EnsureSQLiteDir(dsn); err != nil {
			return nil, fmt.Errorf("users store: %w", err)
		}
		dsn = transport.SQLiteDSN(dsn)
	}
	db, err := sql.Open(schema.Driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("users store: open %s: %w", dialect, err)
	}
	s := &Store{db: db, dialect: dialect}
	if err := s.migrate(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return s, nil
}

// DB returns the database handle; the outbox shares it.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the database dialect.
func (s *Store) Dialect() string { return s.dialect }

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("users store: close: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("users store: ping: %w", err)
	}
	return nil
}

// migrations are the users database's schema versions, the same SQL on PostgreSQL and
// SQLite; add a file 0000N_what.sql to change it.
//
//go:embed migrations/*.sql
var migrations embed.FS

func (s *Store) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("users store: %w", err)
	}
	err = migrate.Up(ctx, s.db, migrate.Config{Dialect: s.dialect, VersionTable: "millrace_users_migrations", Migrations: fsys})
	if err != nil {
		return fmt.Errorf("users store: %w", err)
	}
	return nil
}

// q rewrites the "?" placeholders of query for the dialect.
func (s *Store) q(query string) string {
	if s.dialect != topology.DialectPostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// InTx runs fn in a transaction and commits it when fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("users store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, rollback(tx))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("users store: commit: %w", err)
	}
	return nil
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("users store: rollback: %w", err)
	}
	return nil
}

// Once runs fn for message id as handler at most once: in one transaction it records
// (handler, id) as processed and runs fn, and commits only if fn succeeds. It returns
// false without running fn when the message was processed before.
//
// The record is inserted first, so a second delivery of the same message that runs
// concurrently waits on the record's key until the first commits (then skips) or rolls
// back (then runs). The trade-off: a side effect that leaves the database inside fn
// (an email) and a crash between it and the commit repeats the side effect on
// redelivery; recording after the side effect instead would lose it on such a crash.
// A duplicate email is the lesser harm than a missing one.
func (s *Store) Once(ctx context.Context, handler, id string, fn func(tx *sql.Tx) error) (bool, error) {
	ran := false
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO processed_messages (handler, message_id, processed_at)
			VALUES (?, ?, ?) ON CONFLICT (handler, message_id) DO NOTHING`), handler, id, time.Now().UnixMicro())
		if err != nil {
			return fmt.Errorf("users store: record message %s for %s: %w", id, handler, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("users store: record message %s for %s: %w", id, handler, err)
		} else if n == 0 {
			return nil
		}
		ran = true
		return fn(tx)
	})
	if err != nil {
		return false, err
	}
	return ran, nil
}

// RecordTimeout bounds how long OnceExternal keeps trying to record a side effect that
// succeeded after the commit of its record failed.
const RecordTimeout = 15 * time.Second

// OnceExternal runs effect, a side effect that leaves the database (an email), for
// message id as handler at most once, as Once does with the record's transaction open
// while effect runs. When effect succeeds and the commit of the record then fails (the
// database restarted, the connection broke), the record is written again on its own,
// each attempt on a fresh connection, until it is stored or RecordTimeout has passed,
// even when ctx is cancelled; only then does OnceExternal return an error, and a
// redelivery of the message repeats effect.
func (s *Store) OnceExternal(ctx context.Context, handler, id string, effect func(context.Context) error) (bool, error) {
	succeeded := false
	ran, err := s.Once(ctx, handler, id, func(*sql.Tx) error {
		if err := effect(ctx); err != nil {
			return err
		}
		succeeded = true
		return nil
	})
	if err == nil || !succeeded {
		return ran, err
	}
	if rerr := s.record(context.WithoutCancel(ctx), handler, id); rerr != nil {
		return true, fmt.Errorf("users store: %s succeeded for message %s but is not recorded: %w", handler, id, errors.Join(err, rerr))
	}
	return true, nil
}

// record stores (handler, id) as processed, retrying with exponential backoff (50 ms
// growing to 1 s) for up to RecordTimeout. A connection an attempt failed on is closed,
// not reused.
func (s *Store) record(ctx context.Context, handler, id string) error {
	ctx, cancel := context.WithTimeout(ctx, RecordTimeout)
	defer cancel()
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.Multiplier, b.RandomizationFactor = 50*time.Millisecond, time.Second, 2, 0
	attempts := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempts++
		return struct{}{}, s.recordOnce(ctx, handler, id)
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(RecordTimeout))
	if err != nil {
		return fmt.Errorf("record message %s for %s: %d attempts: %w", id, handler, attempts, err)
	}
	return nil
}

// recordOnce inserts the record of (handler, id) on one connection and closes that
// connection if the insert fails.
func (s *Store) recordOnce(ctx context.Context, handler, id string) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, s.q(`INSERT INTO processed_messages (handler, message_id, processed_at)
		VALUES (?, ?, ?) ON CONFLICT (handler, message_id) DO NOTHING`), handler, id, time.Now().UnixMicro())
	if err != nil {
		// Returning driver.ErrBadConn from Raw makes database/sql close the connection.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		return err
	}
	return nil
}

// Processed reports whether handler has processed message id.
func (s *Store) Processed(ctx context.Context, handler, id string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM processed_messages WHERE handler = ? AND message_id = ?`),
		handler, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("users store: read processed messages: %w", err)
	}
	return n > 0, nil
}

// CountUsers returns how many accounts exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("users store: count users: %w", err)
	}
	return n, nil
}
