package sqldb

import (
	"database/sql"
	"fmt"

	"github.com/millrace/millrace/topology"
)

// Of returns the dialect and DSN of tr, a topology transport that is a SQL database
// (its settings implement topology.Database).
func Of(tr *topology.Transport) (Dialect, topology.Secret, error) {
	name, dsn, ok := tr.Database()
	if !ok {
		return "", "", fmt.Errorf("transport %q is a %s transport, not a SQL database", tr.Name, tr.Kind)
	}
	d, err := ParseDialect(name)
	if err != nil {
		return "", "", fmt.Errorf("transport %q: %w", tr.Name, err)
	}
	return d, dsn, nil
}

// OpenTransport opens the database of tr the way its transport does, creating the folder
// of a SQLite file.
func OpenTransport(tr *topology.Transport) (*sql.DB, Dialect, error) {
	d, dsn, err := Of(tr)
	if err != nil {
		return nil, "", err
	}
	if err := EnsureDir(d, dsn.Reveal()); err != nil {
		return nil, "", err
	}
	db, err := Open(d, dsn.Reveal())
	if err != nil {
		return nil, "", fmt.Errorf("open %s %s: %w", d, dsn, err)
	}
	return db, d, nil
}
