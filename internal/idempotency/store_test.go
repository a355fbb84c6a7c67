package idempotency_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/idempotency"
	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/internal/testenv"
)

// database is one dialect the record runs on.
type database struct {
	dialect sqldb.Dialect
	open    func(t *testing.T) *sql.DB
}

func databases() []database {
	open := func(t *testing.T, dialect sqldb.Dialect, dsn string) *sql.DB {
		t.Helper()
		db, err := sqldb.Open(sqldb.Dialect(dialect), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	return []database{
		{sqldb.SQLite, func(t *testing.T) *sql.DB {
			return open(t, sqldb.SQLite, filepath.Join(t.TempDir(), "record.db"))
		}},
		{sqldb.Postgres, func(t *testing.T) *sql.DB {
			return open(t, sqldb.Postgres, testenv.PostgresSchema(t))
		}},
		{sqldb.MySQL, func(t *testing.T) *sql.DB {
			return open(t, sqldb.MySQL, testenv.MySQLDatabase(t))
		}},
	}
}

// MustNew returns the record in db, failing the test on error.
func MustNew(tb testing.TB, db *sql.DB, cfg idempotency.Config) *idempotency.Store {
	tb.Helper()
	s, err := idempotency.New(context.Background(), db, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// concurrently runs fn n times at once and reports each error.
func concurrently(t *testing.T, n int, fn func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() { errs <- fn() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// countRows returns the rows of the effects table.
func countRows(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM effects`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOnceRunsOncePerHandler checks that a failed run leaves no record, that a
// message runs once per handler, and that the effect commits with the record.
func TestOnceRunsOncePerHandler(t *testing.T) {
	for _, d := range databases() {
		t.Run(string(d.dialect), func(t *testing.T) {
			t.Parallel()
			db := d.open(t)
			s := MustNew(t, db, idempotency.Config{Dialect: d.dialect})
			ctx := context.Background()
			if _, err := db.Exec(`CREATE TABLE effects (n INT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			runs := 0
			fn := func(tx *sql.Tx) error {
				runs++
				_, err := tx.ExecContext(ctx, `INSERT INTO effects (n) VALUES (1)`)
				return err
			}
			boom := errors.New("smtp down")
			failing := func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO effects (n) VALUES (1)`); err != nil {
					return err
				}
				return boom
			}
			if ran, err := s.Once(ctx, "h", "m1", failing); !errors.Is(err, boom) || ran {
				t.Errorf("failing fn: ran %v err %v", ran, err)
			}
			if done, err := s.Processed(ctx, "h", "m1"); err != nil || done {
				t.Errorf("processed after a failure: %v %v, want false", done, err)
			}
			for i, want := range []bool{true, false} {
				ran, err := s.Once(ctx, "h", "m1", fn)
				if err != nil {
					t.Fatal(err)
				}
				if ran != want {
					t.Errorf("run %d: ran %v, want %v", i, ran, want)
				}
			}
			if ran, err := s.Once(ctx, "other", "m1", fn); err != nil || !ran {
				t.Errorf("other handler: ran %v err %v", ran, err)
			}
			if runs != 2 {
				t.Errorf("runs = %d, want 2 (once for h after the failure, once for other)", runs)
			}
			if n := countRows(t, db); n != 2 {
				t.Errorf("effects = %d, want 2: the failed run's effect rolls back", n)
			}
			for _, h := range []string{"h", "other"} {
				if done, err := s.Processed(ctx, h, "m1"); err != nil || !done {
					t.Errorf("processed %s: %v %v, want true", h, done, err)
				}
			}
			if done, err := s.Processed(ctx, "h", "m2"); err != nil || done {
				t.Errorf("processed m2: %v %v, want false", done, err)
			}
		})
	}
}

// TestOnceConcurrentDeliveriesRunOnce checks that copies of one message handled at
// the same time run the effect once.
func TestOnceConcurrentDeliveriesRunOnce(t *testing.T) {
	for _, d := range databases() {
		t.Run(string(d.dialect), func(t *testing.T) {
			t.Parallel()
			db := d.open(t)
			s := MustNew(t, db, idempotency.Config{Dialect: d.dialect})
			var (
				mu   sync.Mutex
				runs int
			)
			concurrently(t, 4, func() error {
				_, err := s.Once(context.Background(), "h", "m1", func(*sql.Tx) error {
					mu.Lock()
					runs++
					mu.Unlock()
					time.Sleep(20 * time.Millisecond)
					return nil
				})
				return err
			})
			if runs != 1 {
				t.Errorf("runs = %d, want 1", runs)
			}
		})
	}
}

// TestNewAdoptsExistingTable checks that a table created before the record had its own
// migrations, as the registration example's users database has, keeps its rows.
func TestNewAdoptsExistingTable(t *testing.T) {
	ddl := map[sqldb.Dialect]string{
		sqldb.SQLite:   `CREATE TABLE processed_messages (handler TEXT NOT NULL, message_id TEXT NOT NULL, processed_at BIGINT NOT NULL, PRIMARY KEY (handler, message_id))`,
		sqldb.Postgres: `CREATE TABLE processed_messages (handler TEXT NOT NULL, message_id TEXT NOT NULL, processed_at BIGINT NOT NULL, PRIMARY KEY (handler, message_id))`,
		sqldb.MySQL:    `CREATE TABLE processed_messages (handler VARCHAR(255) NOT NULL, message_id VARCHAR(255) NOT NULL, processed_at BIGINT NOT NULL, PRIMARY KEY (handler, message_id))`,
	}
	for _, d := range databases() {
		t.Run(string(d.dialect), func(t *testing.T) {
			t.Parallel()
			db := d.open(t)
			if _, err := db.Exec(ddl[d.dialect]); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`INSERT INTO processed_messages (handler, message_id, processed_at) VALUES ('h', 'm1', 1)`); err != nil {
				t.Fatal(err)
			}
			s := MustNew(t, db, idempotency.Config{Dialect: d.dialect})
			if done, err := s.Processed(context.Background(), "h", "m1"); err != nil || !done {
				t.Errorf("processed: %v %v, want the existing record", done, err)
			}
			ran, err := s.Once(context.Background(), "h", "m1", func(*sql.Tx) error { return nil })
			if err != nil || ran {
				t.Errorf("once: ran %v err %v, want skipped", ran, err)
			}
		})
	}
}

// TestNewConcurrently checks that processes starting at once on a fresh database all
// get the record.
func TestNewConcurrently(t *testing.T) {
	for _, d := range databases() {
		t.Run(string(d.dialect), func(t *testing.T) {
			t.Parallel()
			db := d.open(t)
			concurrently(t, 4, func() error {
				_, err := idempotency.New(context.Background(), db, idempotency.Config{Dialect: d.dialect, Table: "handled"})
				return err
			})
		})
	}
}

// TestOnceExternalRecordsAfterABrokenCommit checks that an effect that succeeded is
// recorded although the connection of its transaction broke before the commit.
func TestOnceExternalRecordsAfterABrokenCommit(t *testing.T) {
	db := databases()[1].open(t)
	s := MustNew(t, db, idempotency.Config{Dialect: sqldb.Postgres, Table: "broken_commit_record",
		RecordTimeout: 5 * time.Second})
	ctx := context.Background()
	sent := 0
	ran, err := s.OnceExternal(ctx, "send", "m1", func(ctx context.Context) error {
		sent++
		// The record's transaction is the only one idle in a transaction on this
		// test's table; ending its backend makes the commit fail.
		var n int
		err := db.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE state = 'idle in transaction' AND pid <> pg_backend_pid() AND query LIKE '%broken_commit_record%'`).Scan(&n)
		if err != nil {
			return err
		}
		if n != 1 {
			return errors.New("no transaction to break")
		}
		return nil
	})
	if err != nil || !ran {
		t.Fatalf("once external: ran %v err %v, want recorded", ran, err)
	}
	if done, err := s.Processed(ctx, "send", "m1"); err != nil || !done {
		t.Errorf("processed: %v %v, want true", done, err)
	}
	if ran, err := s.OnceExternal(ctx, "send", "m1", func(context.Context) error { sent++; return nil }); err != nil || ran {
		t.Errorf("second delivery: ran %v err %v, want skipped", ran, err)
	}
	if sent != 1 {
		t.Errorf("sent %d times, want 1", sent)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, cfg := range []idempotency.Config{
		{},
		{Dialect: "oracle", Table: "t"},
		{Dialect: sqldb.Postgres, Table: "bad name"},
	} {
		if err := cfg.Validate(); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}
