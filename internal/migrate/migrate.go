// Package migrate brings a store's schema to its newest version with goose migrations,
// under a lock held across processes, so any number of processes may start at once on a
// fresh database.
package migrate

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strings"
	"testing/fstest"
	"text/template"

	"github.com/pressly/goose/v3"

	"github.com/millrace/millrace/internal/sqldb"
)

// Config describes one store's migrations.
type Config struct {
	// Dialect is the database's dialect: sqldb.Postgres, MySQL or SQLite.
	Dialect sqldb.Dialect
	// VersionTable records which migrations ran; one per store (and per table name, for
	// stores whose table is configurable). It is lowercased: goose leaves it unquoted,
	// which PostgreSQL folds to lower case.
	VersionTable string
	// Migrations holds goose SQL files (00001_name.sql with "-- +goose Up" sections) for
	// Dialect. They are text/template files: {{.Name}} is replaced by Vars["Name"].
	Migrations fs.FS
	// Vars are the template values of the migration files, such as a table name.
	Vars map[string]string
}

// Up applies every migration of cfg that db has not run yet. It holds a lock for the
// whole run, version table creation included: a PostgreSQL advisory lock, a MySQL named
// lock (GET_LOCK), or for SQLite an exclusive lock on a file beside the database.
// Processes waiting for it find the migrations applied when they get it.
//
// The lock is taken here rather than through goose's session locker: goose checks for
// pending migrations, creating its version table, before it takes that lock, and on
// MySQL, where DDL commits at once, a concurrent process then finds the table without its
// first row.
func Up(ctx context.Context, db *sql.DB, cfg Config) (err error) {
	p, err := provider(db, cfg)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", cfg.VersionTable, err)
	}
	name, id := lockName(cfg.VersionTable)
	release, err := acquire(ctx, db, cfg.Dialect, name, id)
	if err != nil {
		return fmt.Errorf("migrate %s: lock: %w", cfg.VersionTable, err)
	}
	defer func() {
		if uerr := release(); uerr != nil {
			err = errors.Join(err, fmt.Errorf("migrate %s: unlock: %w", cfg.VersionTable, uerr))
		}
	}()
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", cfg.VersionTable, err)
	}
	return nil
}

// Version reports the newest migration applied to db for cfg (0 when none).
func Version(ctx context.Context, db *sql.DB, cfg Config) (int64, error) {
	p, err := provider(db, cfg)
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}

func provider(db *sql.DB, cfg Config) (*goose.Provider, error) {
	fsys, err := render(cfg.Migrations, cfg.Vars)
	if err != nil {
		return nil, err
	}
	var dialect goose.Dialect
	switch cfg.Dialect {
	case sqldb.Postgres:
		dialect = goose.DialectPostgres
	case sqldb.MySQL:
		dialect = goose.DialectMySQL
	case sqldb.SQLite:
		dialect = goose.DialectSQLite3
	default:
		return nil, fmt.Errorf("unknown dialect %q", cfg.Dialect)
	}
	return goose.NewProvider(dialect, db, fsys,
		goose.WithTableName(strings.ToLower(cfg.VersionTable)),
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	)
}

// lockName derives the lock of a version table: a name for MySQL, a number for
// PostgreSQL.
func lockName(versionTable string) (string, int64) {
	h := fnv.New64a()
	_, _ = h.Write([]byte("millrace migrate " + strings.ToLower(versionTable)))
	id := int64(h.Sum64() >> 1)
	return fmt.Sprintf("millrace-migrate-%x", id), id
}

// render executes every file of fsys as a template over vars.
func render(fsys fs.FS, vars map[string]string) (fs.FS, error) {
	if fsys == nil {
		return nil, errors.New("no migrations")
	}
	out := fstest.MapFS{}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		t, err := template.New(path).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, vars); err != nil {
			return err
		}
		out[path] = &fstest.MapFile{Data: b.Bytes()}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
