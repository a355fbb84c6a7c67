package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	_ "github.com/go-sql-driver/mysql" // database/sql driver "mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// Dialect is a SQL database kind, named as in the topology file's dialect setting.
type Dialect string

// The dialects millrace supports.
const (
	Postgres Dialect = "postgres"
	MySQL    Dialect = "mysql"
	// SQLite is an embedded SQLite file (pure-Go driver modernc.org/sqlite).
	SQLite Dialect = "sqlite"
)

// Dialects lists every supported dialect.
var Dialects = []Dialect{Postgres, MySQL, SQLite}

// ParseDialect returns the dialect named name.
func ParseDialect(name string) (Dialect, error) {
	switch d := Dialect(name); d {
	case Postgres, MySQL, SQLite:
		return d, nil
	}
	return "", fmt.Errorf("unknown dialect %q", name)
}

// Driver is the database/sql driver name of d.
func (d Dialect) Driver() string {
	switch d {
	case Postgres:
		return "pgx"
	case MySQL:
		return "mysql"
	}
	return "sqlite"
}

// Quote quotes the identifier name for d: backticks on MySQL, double quotes elsewhere.
func (d Dialect) Quote(name string) string {
	if d == MySQL {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

// Placeholder is the placeholder of the n-th query argument (from 1): $n on PostgreSQL,
// ? elsewhere.
func (d Dialect) Placeholder(n int) string {
	if d == Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// Rebind rewrites the ? placeholders of query for d.
func (d Dialect) Rebind(query string) string {
	if d != Postgres {
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

// MaxIdentifier is the longest identifier d keeps whole, in bytes: PostgreSQL truncates
// names to 63 bytes (NAMEDATALEN-1) and MySQL and MariaDB reject names longer than 64
// characters. SQLite has no practical limit; 128 keeps names readable.
func (d Dialect) MaxIdentifier() int {
	switch d {
	case Postgres:
		return 63
	case MySQL:
		return 64
	}
	return 128
}

// CheckIdentifier rejects a name d would cut or refuse.
func (d Dialect) CheckIdentifier(name string) error {
	if len(name) > d.MaxIdentifier() {
		return fmt.Errorf("name %q is %d bytes, %s allows %d", name, len(name), d, d.MaxIdentifier())
	}
	return nil
}

// TableExists reports whether db has the table name, in the current schema on
// PostgreSQL and in the current database on MySQL.
func (d Dialect) TableExists(ctx context.Context, db *sql.DB, name string) (bool, error) {
	var q string
	switch d {
	case Postgres:
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ANY (current_schemas(false)) AND table_name = $1`
	case MySQL:
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?`
	default:
		q = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	}
	var n int
	if err := db.QueryRowContext(ctx, q, name).Scan(&n); err != nil {
		return false, fmt.Errorf("look up table %s: %w", name, err)
	}
	return n > 0, nil
}

// Open opens the database of d at dsn. A SQLite dsn that is a plain file path (see File)
// gets the settings of SQLiteDSN. Nothing is created: the folder of a SQLite file is
// made by EnsureDir.
func Open(d Dialect, dsn string) (*sql.DB, error) {
	if _, err := ParseDialect(string(d)); err != nil {
		return nil, err
	}
	if path := File(d, dsn); path != "" {
		dsn = SQLiteDSN(path)
	}
	db, err := sql.Open(d.Driver(), dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", d, err)
	}
	return db, nil
}
