package idempotency_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/millrace/millrace/internal/idempotency"
	_ "github.com/millrace/millrace/internal/transport/builtin" // the shipped kinds
	"github.com/millrace/millrace/topology"
)

func parse(t *testing.T, src string) *topology.Topology {
	t.Helper()
	topo, err := topology.Parse("record.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// TestOpenPicksTheTraceStore opens the record of a topology with two SQLite databases in
// its trace store's file and records a message there.
func TestOpenPicksTheTraceStore(t *testing.T) {
	dir := t.TempDir()
	topo := parse(t, fmt.Sprintf(`version: 1
transports:
  mem: {kind: gochannel}
  a: {kind: sql, dialect: sqlite, dsn: %q}
  b: {kind: sql, dialect: sqlite, dsn: %q}
trace: {store: b}
`, filepath.Join(dir, "a.db"), filepath.Join(dir, "sub", "b.db")))
	ctx := context.Background()
	s, closeDB, err := idempotency.Open(ctx, topo, "", idempotency.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB()
	ran, err := s.Once(ctx, "h", "m1", func(*sql.Tx) error { return nil })
	if err != nil || !ran {
		t.Fatalf("Once = %v, %v; want true", ran, err)
	}
	again, _, err := idempotency.Open(ctx, topo, "b", idempotency.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if done, err := again.Processed(ctx, "h", "m1"); err != nil || !done {
		t.Errorf("Processed in b = %v, %v; want the record in the trace store's database", done, err)
	}
	other, closeA, err := idempotency.Open(ctx, topo, "a", idempotency.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeA()
	if done, err := other.Processed(ctx, "h", "m1"); err != nil || done {
		t.Errorf("Processed in a = %v, %v; want nothing recorded there", done, err)
	}
}

func TestOpenRefusesWhatIsNotADatabase(t *testing.T) {
	lite := filepath.Join(t.TempDir(), "x.db")
	for _, c := range []struct{ name, src, transport, want string }{
		{"memory by name", "version: 1\ntransports:\n  mem: {kind: gochannel}\n", "mem",
			`transport "mem" of record.yaml is a gochannel transport, not a SQL database`},
		{"unknown name", "version: 1\ntransports:\n  mem: {kind: gochannel}\n", "nope",
			`no transport "nope" in record.yaml`},
		{"no database", "version: 1\ntransports:\n  mem: {kind: gochannel}\n", "",
			`record.yaml has no SQL database transport`},
		{"two databases", fmt.Sprintf("version: 1\ntransports:\n  b: {kind: sql, dialect: sqlite, dsn: %q}\n  a: {kind: sql, dialect: sqlite, dsn: %q}\n", lite, lite), "",
			`several SQL database transports (a, b) and no trace store`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := idempotency.Open(context.Background(), parse(t, c.src), c.transport, idempotency.Config{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Open = %v, want an error containing %q", err, c.want)
			}
		})
	}
}
