package migrate_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/millrace/millrace/internal/migrate"
	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/internal/testenv"
)

// starters is how many processes start at once in TestConcurrentUp; each has its own
// connection pool, as separate processes do.
const starters = 8

// TestConcurrentUp runs the migrations of a store from many pools at once on a new
// database, ten times per dialect: every one succeeds, the schema has every version's
// columns, and each version is recorded once.
func TestConcurrentUp(t *testing.T) {
	for _, d := range []struct {
		dialect sqldb.Dialect
		driver  string
		fresh   func(t *testing.T) string
	}{
		{sqldb.Postgres, "pgx", func(t *testing.T) string { return testenv.PostgresSchema(t) }},
		{sqldb.MySQL, "mysql", func(t *testing.T) string { return testenv.MySQLDatabase(t) }},
		{sqldb.SQLite, "sqlite", func(t *testing.T) string {
			return sqldb.SQLiteDSN(filepath.Join(t.TempDir(), "m.db"))
		}},
	} {
		t.Run(string(d.dialect), func(t *testing.T) {
			for range 10 {
				round(t, d.dialect, d.driver, d.fresh(t))
			}
		})
	}
}

// round starts the migrations from every starter at once on the new database dsn.
func round(t *testing.T, dialect sqldb.Dialect, driver, dsn string) {
	cfg := migrate.Config{
		Dialect:      dialect,
		VersionTable: "items_migrations",
		Migrations:   os.DirFS("testdata/two"),
		Vars:         map[string]string{"Table": "items"},
	}
	var wg sync.WaitGroup
	errs := make([]error, starters)
	dbs := make([]*sql.DB, starters)
	for i := range starters {
		db, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range starters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = migrate.Up(ctx, dbs[i], cfg)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("starter %d: %v", i, err)
		}
	}
	if _, err := dbs[0].ExecContext(ctx, "INSERT INTO items (id, name, note) VALUES (1, 'a', 'b')"); err != nil {
		t.Fatalf("schema lacks a version's column: %v", err)
	}
	var n, versions int
	if err := dbs[0].QueryRowContext(ctx, "SELECT COUNT(*), COUNT(DISTINCT version_id) FROM items_migrations WHERE version_id > 0").Scan(&n, &versions); err != nil {
		t.Fatal(err)
	}
	if n != 2 || versions != 2 {
		t.Fatalf("version table has %d rows for %d versions, want 2 for 2", n, versions)
	}
	v, err := migrate.Version(ctx, dbs[0], cfg)
	if err != nil || v != 2 {
		t.Fatalf("Version = %d, %v; want 2", v, err)
	}
}

// TestUpAppliesOnlyNewMigrations applies the first version, then both: the second run
// applies only the new one.
func TestUpAppliesOnlyNewMigrations(t *testing.T) {
	dsn := sqldb.SQLiteDSN(filepath.Join(t.TempDir(), "m.db"))
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	first := migrate.Config{Dialect: sqldb.SQLite, VersionTable: "V", Migrations: os.DirFS("testdata/two"), Vars: map[string]string{"Table": "items"}}
	one, err := os.MkdirTemp(t.TempDir(), "one")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("testdata/two/00001_items.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(one, "00001_items.sql"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	first.Migrations = os.DirFS(one)
	if err := migrate.Up(ctx, db, first); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO items (id, name) VALUES (1, 'a')"); err != nil {
		t.Fatal(err)
	}
	both := first
	both.Migrations = os.DirFS("testdata/two")
	if err := migrate.Up(ctx, db, both); err != nil {
		t.Fatalf("second version on a database at the first: %v", err)
	}
	var note string
	if err := db.QueryRow("SELECT note FROM items WHERE id = 1").Scan(&note); err != nil || note != "" {
		t.Fatalf("row kept through the second version: note %q, %v", note, err)
	}
}

// TestUpRejectsAMissingVariable names the template variable a migration needs.
func TestUpRejectsAMissingVariable(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = migrate.Up(context.Background(), db, migrate.Config{Dialect: sqldb.SQLite, VersionTable: "v", Migrations: os.DirFS("testdata/two")})
	if err == nil || !strings.Contains(err.Error(), "Table") {
		t.Fatalf("err = %v, want one naming the missing Table", err)
	}
}
