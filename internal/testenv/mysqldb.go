package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/sqldb"
)

// MySQLDatabase returns the DSN of a new, empty database on the local MariaDB/MySQL,
// dropped (with everything in it) when the test ends. It skips or fails like MySQL when
// the server is unreachable.
func MySQLDatabase(tb testing.TB) string {
	tb.Helper()
	base := MySQL(tb)
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	name := "t_" + hex.EncodeToString(b)
	db, err := sqldb.Open(sqldb.MySQL, base)
	if err != nil {
		tb.Fatalf("open mysql: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = db.Close()
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE "+name); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	// The DSN is [user[:password]@][net[(addr)]]/dbname[?params].
	i := strings.LastIndex(base, "/")
	dsn := base[:i+1] + name
	if j := strings.IndexByte(base[i:], '?'); j >= 0 {
		dsn += base[i+j:]
	}
	return dsn
}
