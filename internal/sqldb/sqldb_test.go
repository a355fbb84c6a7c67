package sqldb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/millrace/millrace/internal/sqldb"
)

func TestQuotingAndPlaceholders(t *testing.T) {
	for _, c := range []struct {
		d            sqldb.Dialect
		quoted, ph2  string
		rebound      string
		maxIdentifer int
	}{
		{sqldb.Postgres, `"t"`, "$2", "a = $1 AND b = $2", 63},
		{sqldb.MySQL, "`t`", "?", "a = ? AND b = ?", 64},
		{sqldb.SQLite, `"t"`, "?", "a = ? AND b = ?", 128},
	} {
		if got := c.d.Quote("t"); got != c.quoted {
			t.Errorf("%s: Quote = %s, want %s", c.d, got, c.quoted)
		}
		if got := c.d.Placeholder(2); got != c.ph2 {
			t.Errorf("%s: Placeholder(2) = %s, want %s", c.d, got, c.ph2)
		}
		if got := c.d.Rebind("a = ? AND b = ?"); got != c.rebound {
			t.Errorf("%s: Rebind = %s, want %s", c.d, got, c.rebound)
		}
		if got := c.d.MaxIdentifier(); got != c.maxIdentifer {
			t.Errorf("%s: MaxIdentifier = %d, want %d", c.d, got, c.maxIdentifer)
		}
	}
	if _, err := sqldb.ParseDialect("oracle"); err == nil {
		t.Error("ParseDialect accepts oracle")
	}
	if err := sqldb.Postgres.CheckIdentifier(string(make([]byte, 64))); err == nil {
		t.Error("a 64-byte PostgreSQL identifier is accepted")
	}
}

// TestOpenSQLite checks that a plain path opens with WAL and that only EnsureDir
// creates its folder.
func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "db.sqlite")
	if got := sqldb.File(sqldb.SQLite, path); got != path {
		t.Errorf("File = %q, want %q", got, path)
	}
	if got := sqldb.File(sqldb.SQLite, "file:x.db?mode=memory"); got != "" {
		t.Errorf("File of a file: URI = %q, want empty", got)
	}
	db, err := sqldb.Open(sqldb.SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Fatalf("Open created the folder: %v", err)
	}
	if err := sqldb.CheckCreatable(filepath.Dir(path)); err != nil {
		t.Errorf("CheckCreatable: %v", err)
	}
	if err := sqldb.EnsureDir(sqldb.SQLite, path); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if ok, err := sqldb.SQLite.TableExists(ctx, db, "t"); err != nil || ok {
		t.Errorf("TableExists before CREATE = %v, %v", ok, err)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if ok, err := sqldb.SQLite.TableExists(ctx, db, "t"); err != nil || !ok {
		t.Errorf("TableExists after CREATE = %v, %v", ok, err)
	}
}
