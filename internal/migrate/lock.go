package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/millrace/millrace/internal/sqldb"
)

// lockWait bounds how long a process waits for another one's migrations.
const lockWait = 5 * time.Minute

// acquire takes the migration lock named name (id on PostgreSQL) in db and returns its
// release. The lock is held by a connection of its own (PostgreSQL advisory lock, MySQL
// named lock) or, for SQLite, on the file "<database>.migrate.lock"; the server or the
// operating system releases it when the process dies.
func acquire(ctx context.Context, db *sql.DB, dialect sqldb.Dialect, name string, id int64) (func() error, error) {
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	if dialect == sqldb.SQLite {
		return acquireSQLite(ctx, db)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	switch dialect {
	case sqldb.Postgres:
		// pg_advisory_lock waits in the server; the driver cancels it with ctx.
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", id); err != nil {
			return nil, errors.Join(err, conn.Close())
		}
		return func() error {
			_, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", id)
			return errors.Join(err, conn.Close())
		}, nil
	case sqldb.MySQL:
		// Named locks are server-wide: the name includes the database's.
		var got sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(CONCAT(IFNULL(DATABASE(), ''), ':', ?), ?)",
			name, int(lockWait/time.Second)).Scan(&got)
		if err == nil && (!got.Valid || got.Int64 != 1) {
			err = fmt.Errorf("GET_LOCK not granted within %s", lockWait)
		}
		if err != nil {
			return nil, errors.Join(err, conn.Close())
		}
		return func() error {
			_, err := conn.ExecContext(context.Background(), "SELECT RELEASE_LOCK(CONCAT(IFNULL(DATABASE(), ''), ':', ?))", name)
			return errors.Join(err, conn.Close())
		}, nil
	default:
		return nil, errors.Join(fmt.Errorf("unknown dialect %q", dialect), conn.Close())
	}
}

// acquireSQLite locks the file "<database>.migrate.lock".
func acquireSQLite(ctx context.Context, db *sql.DB) (func() error, error) {
	file, err := sqliteFile(ctx, db)
	if err != nil {
		return nil, err
	}
	if file == "" { // in memory: one process only
		memoryMu.Lock()
		return func() error { memoryMu.Unlock(); return nil }, nil
	}
	fl := flock.New(file + ".migrate.lock")
	ok, err := fl.TryLockContext(ctx, 10*time.Millisecond)
	if err == nil && !ok {
		err = fmt.Errorf("not granted within %s", lockWait)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fl.Path(), err)
	}
	return fl.Unlock, nil
}

// memoryMu serializes the migrations of in-memory SQLite databases.
var memoryMu sync.Mutex

// sqliteFile returns the file of db's main database, "" for an in-memory one. The first
// connections to a new file race to switch it to WAL, and the losers fail at once with
// SQLITE_BUSY rather than wait: it tries again.
func sqliteFile(ctx context.Context, db *sql.DB) (string, error) {
	for {
		file, err := mainFile(ctx, db)
		if !busy(err) {
			return file, err
		}
		select {
		case <-ctx.Done():
			return "", errors.Join(err, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func mainFile(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, "PRAGMA database_list")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int
		var name, file string
		if err := rows.Scan(&seq, &name, &file); err != nil {
			return "", err
		}
		if name == "main" {
			return file, rows.Err()
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return "", errors.New("no main database")
}

// busy reports whether err is SQLite's SQLITE_BUSY.
func busy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}
