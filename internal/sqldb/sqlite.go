package sqldb

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// File returns the database file of a SQLite dsn given as a plain path, "" for another
// dialect or a "file:" URI (which carries its own settings).
func File(d Dialect, dsn string) string {
	if d != SQLite || strings.HasPrefix(dsn, "file:") {
		return ""
	}
	return dsn
}

// EnsureDir creates the folder of the SQLite file of dsn (see File), if there is one.
func EnsureDir(d Dialect, dsn string) error { return EnsureSQLiteDir(File(d, dsn)) }

// EnsureSQLiteDir creates the folder of the SQLite database file path, if path is not
// empty.
func EnsureSQLiteDir(path string) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("create folder of %s: %w", path, err)
	}
	return nil
}

// CheckCreatable reports whether dir exists as a folder or could be created: its
// nearest existing ancestor is a folder.
func CheckCreatable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("sqlite: %s is not a folder", d)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sqlite: %w", err)
		}
		if filepath.Dir(d) == d {
			return fmt.Errorf("sqlite: no existing folder above %s", dir)
		}
	}
}

// SQLiteDSN returns the DSN of the SQLite database file path with the settings the SQL
// transport and the stores rely on: WAL journal (readers do not block the writer), a
// busy timeout (writers wait for each other instead of failing), foreign keys, and
// transactions that take the write lock when they begin (BEGIN IMMEDIATE), so a
// subscriber's read-then-ack transaction never fails to upgrade its lock.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}
