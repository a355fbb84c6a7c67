// Package sqldb is what every SQL user of millrace shares: the dialects (PostgreSQL,
// MySQL/MariaDB, SQLite) and their drivers, identifier quoting, placeholders and length
// limits, table lookup, and Open, which gives a SQLite file the settings it needs.
package sqldb
