package transport

import "github.com/millrace/millrace/internal/sqldb"

// SQLSchema names the database/sql driver of a dialect. Kept for callers that have not
// moved to package sqldb; the SQL transport's table layout is sql.Schema.
type SQLSchema struct {
	// Dialect is the dialect's name.
	Dialect string
	// Driver is the database/sql driver name for the dialect.
	Driver string
}

// NewSQLSchema returns the SQLSchema of dialect. Kept for callers that have not moved
// to package sqldb.
func NewSQLSchema(dialect string) (SQLSchema, error) {
	d, err := sqldb.ParseDialect(dialect)
	if err != nil {
		return SQLSchema{}, err
	}
	return SQLSchema{Dialect: dialect, Driver: d.Driver()}, nil
}

// SQLiteDSN is sqldb.SQLiteDSN. Kept for callers that have not moved.
func SQLiteDSN(path string) string { return sqldb.SQLiteDSN(path) }

// EnsureSQLiteDir is sqldb.EnsureSQLiteDir. Kept for callers that have not moved.
func EnsureSQLiteDir(path string) error { return sqldb.EnsureSQLiteDir(path) }
