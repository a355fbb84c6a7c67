package account

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/millrace/millrace/internal/migrate"
	"github.com/millrace/millrace/internal/sqldb"
)

// Store is the users database: PostgreSQL or SQLite through database/sql. Its
// handlers' processed-message record (idempotency.Store) shares the database.
type Store struct {
	db      *sql.DB
	dialect sqldb.Dialect
}

// Open opens the database of dialect (sqldb.Postgres or sqldb.SQLite) at dsn
// and creates the tables if they do not exist. For SQLite, dsn may be a plain file
// path: it is given the settings of sqldb.SQLiteDSN.
func Open(ctx context.Context, d sqldb.Dialect, dsn string) (*Store, error) {
	if d != sqldb.Postgres && d != sqldb.SQLite {
		return nil, fmt.Errorf("users store: dialect %q not supported (postgres or sqlite)", d)
	}
	if err := sqldb.EnsureDir(d, dsn); err != nil {
		return nil, fmt.Errorf("users store: %w", err)
	}
	db, err := sqldb.Open(d, dsn)
	if err != nil {
		return nil, fmt.Errorf("users store: open %s: %w", d, err)
	}
	s := &Store{db: db, dialect: d}
	if err := s.migrate(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return s, nil
}

// DB returns the database handle; the outbox shares it.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the database dialect.
func (s *Store) Dialect() sqldb.Dialect { return s.dialect }

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
func (s *Store) q(query string) string { return sqldb.Dialect(s.dialect).Rebind(query) }

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

// CountUsers returns how many accounts exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("users store: count users: %w", err)
	}
	return n, nil
}
