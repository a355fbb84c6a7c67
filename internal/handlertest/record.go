package handlertest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/millrace/millrace/internal/idempotency"
	"github.com/millrace/millrace/internal/sqldb"
)

// OpenRecord returns a processed-message record in a SQLite file of the test's own, for a
// handler whose deps take one; it is closed when the test ends.
func OpenRecord(tb testing.TB) *idempotency.Store {
	tb.Helper()
	db, err := sqldb.Open(sqldb.SQLite, filepath.Join(tb.TempDir(), "record.db"))
	if err != nil {
		tb.Fatalf("open record: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	s, err := idempotency.New(context.Background(), db, idempotency.Config{Dialect: sqldb.SQLite})
	if err != nil {
		tb.Fatalf("open record: %v", err)
	}
	return s
}
