package sql_test

import (
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/sqldb"
	sqlkind "github.com/millrace/millrace/internal/transport/sql"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

func TestSettingsDefaults(t *testing.T) {
	tr := transporttest.Parse(t, "pg", `{kind: sql, dialect: mysql, dsn: "root:pw@tcp(h:3306)/db"}`)
	want := sqlkind.Settings{Dialect: sqldb.MySQL, DSN: "root:pw@tcp(h:3306)/db", PollInterval: 100 * time.Millisecond, InitializeSchema: true}
	got, ok := tr.Settings.(*sqlkind.Settings)
	if !ok || *got != want {
		t.Fatalf("settings = %#v, want %#v", tr.Settings, want)
	}
	if d, dsn, ok := tr.Database(); !ok || d != "mysql" || dsn.Reveal() != "root:pw@tcp(h:3306)/db" {
		t.Errorf("Database() = %q, %q, %v", d, dsn.Reveal(), ok)
	}
	if s := got.String(); strings.Contains(s, ":pw@") || !strings.HasPrefix(s, "dialect=mysql dsn=") {
		t.Errorf("String() = %q, want the dialect and the password masked", s)
	}
	if got.UseFile("/tmp/x.db") {
		t.Error("UseFile moved a MySQL transport to a file")
	}
}

func TestSettingsSQLite(t *testing.T) {
	tr := transporttest.Parse(t, "lite", `{kind: sql, dialect: sqlite, dsn: "file:a.db?_pragma=x&password=hunter2"}`)
	s := tr.Settings.(*sqlkind.Settings)
	if got := s.String(); !strings.Contains(got, "dsn=file:a.db?_pragma=x&password=****") {
		t.Errorf("String() = %q, want the file name shown and the password masked", got)
	}
	if !s.UseFile("/data/millrace.db") {
		t.Fatal("UseFile refused a SQLite transport")
	}
	if _, dsn, _ := tr.Database(); dsn.Reveal() != "/data/millrace.db" {
		t.Errorf("DSN after UseFile = %q", dsn.Reveal())
	}
}

func TestSettingsValidated(t *testing.T) {
	_, err := topology.Parse("s.yaml", []byte(`version: 1
transports:
  db: {kind: sql, dialect: postgress, dsn: x}
  lite: {kind: sql, dialect: sqlite, dsn: y}
topics:
  `+strings.Repeat("t", 46)+`: {transport: lite}
`))
	if err == nil {
		t.Fatal("bad sql settings load")
	}
	for _, want := range []string{
		`s.yaml:3:28: transports.db.dialect: unknown dialect "postgress" (valid: postgres, mysql, sqlite); did you mean "postgres"?`,
		`s.yaml:6:3: topics.` + strings.Repeat("t", 46) + `: topic "` + strings.Repeat("t", 46) + `" lives on sql transport "lite", whose table name watermill_offsets_` + strings.Repeat("t", 46) + ` would be 64 bytes; identifiers are limited to 63 bytes (topic names at most 45)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors\n%v\ndo not contain\n%s", err, want)
		}
	}
}
