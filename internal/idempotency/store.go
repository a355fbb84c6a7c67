package idempotency

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/millrace/millrace/internal/migrate"
	"github.com/millrace/millrace/internal/sqldb"
)

// DefaultTable is the table of the processed-message record.
const DefaultTable = "processed_messages"

// DefaultRecordTimeout bounds how long OnceExternal keeps trying to record a side
// effect that succeeded after the commit of its record failed.
const DefaultRecordTimeout = 15 * time.Second

// Config configures a Store.
type Config struct {
	// Dialect is the database's dialect, as the topology names it (sqldb.Postgres,
	// MySQL or SQLite). Required.
	Dialect sqldb.Dialect
	// Table holds the record (default DefaultTable). Its schema version is kept in
	// <Table>_migrations.
	Table string
	// RecordTimeout bounds OnceExternal's retries of the record (default
	// DefaultRecordTimeout).
	RecordTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.Table == "" {
		c.Table = DefaultTable
	}
	if c.RecordTimeout <= 0 {
		c.RecordTimeout = DefaultRecordTimeout
	}
}

// identifier is what a table name may be: it is spelled into SQL unescaped.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// Validate reports every problem of the config.
func (c Config) Validate() error {
	var errs []error
	if c.Dialect == "" {
		errs = append(errs, errors.New("missing Dialect"))
	} else if _, err := sqldb.ParseDialect(string(c.Dialect)); err != nil {
		errs = append(errs, err)
	}
	if !identifier.MatchString(c.Table) {
		errs = append(errs, fmt.Errorf("table %q: want letters, digits and _, at most 63", c.Table))
	}
	return errors.Join(errs...)
}

// Store is the processed-message record of one database: which handler processed which
// message. It does not own the database handle.
type Store struct {
	db            *sql.DB
	table         string
	recordTimeout time.Duration
	insert        string
	selectOne     string
}

// migrations are the record's schema versions: one SQL for PostgreSQL and SQLite
// (standard), one for MySQL; add a file 0000N_what.sql to each to change it.
//
//go:embed migrations
var migrations embed.FS

// New returns the record in db, creating or upgrading its table with versioned
// migrations run under a lock. A table of that name with the same columns, as the
// registration example's users database has, is adopted with its rows.
func New(ctx context.Context, db *sql.DB, cfg Config) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("idempotency: %w", err)
	}
	if db == nil {
		return nil, errors.New("idempotency: nil database")
	}
	dir := "migrations/standard"
	if cfg.Dialect == sqldb.MySQL {
		dir = "migrations/mysql"
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("idempotency: %w", err)
	}
	err = migrate.Up(ctx, db, migrate.Config{
		Dialect:      cfg.Dialect,
		VersionTable: cfg.Table + "_migrations",
		Migrations:   fsys,
		Vars:         map[string]string{"Table": cfg.Table},
	})
	if err != nil {
		return nil, fmt.Errorf("idempotency: create table %s: %w", cfg.Table, err)
	}
	s := &Store{db: db, table: cfg.Table, recordTimeout: cfg.RecordTimeout}
	d := cfg.Dialect
	t := d.Quote(cfg.Table)
	if d == sqldb.MySQL {
		// Updating a column to its own value changes no row: RowsAffected is 0 for a
		// record that exists, as with ON CONFLICT DO NOTHING.
		s.insert = `INSERT INTO ` + t + ` (handler, message_id, processed_at) VALUES (?, ?, ?)
			ON DUPLICATE KEY UPDATE handler = handler`
	} else {
		s.insert = d.Rebind(`INSERT INTO ` + t + ` (handler, message_id, processed_at) VALUES (?, ?, ?)
			ON CONFLICT (handler, message_id) DO NOTHING`)
	}
	s.selectOne = d.Rebind(`SELECT COUNT(*) FROM ` + t + ` WHERE handler = ? AND message_id = ?`)
	return s, nil
}

// Table returns the name of the record's table.
func (s *Store) Table() string { return s.table }

// execer is a transaction or a connection.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Mark records in tx that handler processed message id and reports whether this is
// the first record of it; false means the message was processed before and the caller
// should skip its effect. A concurrent Mark of the same message waits until tx commits
// (then reports false) or rolls back.
func (s *Store) Mark(ctx context.Context, tx *sql.Tx, handler, id string) (bool, error) {
	return s.mark(ctx, tx, handler, id)
}

func (s *Store) mark(ctx context.Context, e execer, handler, id string) (bool, error) {
	res, err := e.ExecContext(ctx, s.insert, handler, id, time.Now().UnixMicro())
	if err != nil {
		return false, fmt.Errorf("idempotency: record message %s for %s: %w", id, handler, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("idempotency: record message %s for %s: %w", id, handler, err)
	}
	return n > 0, nil
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("idempotency: begin: %w", err)
	}
	first, err := s.Mark(ctx, tx, handler, id)
	if err == nil && first {
		err = fn(tx)
	}
	if err != nil {
		return false, errors.Join(err, rollback(tx))
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("idempotency: commit record of message %s for %s: %w", id, handler, err)
	}
	return first, nil
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("idempotency: rollback: %w", err)
	}
	return nil
}

// OnceExternal runs effect, a side effect that leaves the database (an email), for
// message id as handler at most once, as Once does with the record's transaction open
// while effect runs. When effect succeeds and the commit of the record then fails (the
// database restarted, the connection broke), the record is written again on its own,
// each attempt on a fresh connection, until it is stored or the record timeout has
// passed, even when ctx is cancelled; only then does OnceExternal return an error, and a
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
		return true, fmt.Errorf("idempotency: %s succeeded for message %s but is not recorded: %w", handler, id, errors.Join(err, rerr))
	}
	return true, nil
}

// record stores (handler, id) as processed, retrying with exponential backoff (50 ms
// growing to 1 s) for up to the record timeout. A connection an attempt failed on is
// closed, not reused.
func (s *Store) record(ctx context.Context, handler, id string) error {
	ctx, cancel := context.WithTimeout(ctx, s.recordTimeout)
	defer cancel()
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.Multiplier, b.RandomizationFactor = 50*time.Millisecond, time.Second, 2, 0
	attempts := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempts++
		return struct{}{}, s.recordOnce(ctx, handler, id)
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(s.recordTimeout))
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
	if _, err := s.mark(ctx, conn, handler, id); err != nil {
		// Returning driver.ErrBadConn from Raw makes database/sql close the connection.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		return err
	}
	return nil
}

// Processed reports whether handler has processed message id.
func (s *Store) Processed(ctx context.Context, handler, id string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, s.selectOne, handler, id).Scan(&n); err != nil {
		return false, fmt.Errorf("idempotency: read record of message %s for %s: %w", id, handler, err)
	}
	return n > 0, nil
}
