// Package testenv is what tests share: reaching the real services they need, and a
// buffer safe to share with a logger (Buffer). A test that needs a
// broker or database calls one of the Require functions: when the service does not
// answer, the test is skipped on a developer's machine with a message naming the service,
// and fails when CI=true, where a skipped integration test would be a hole.
package testenv

import (
	"net"
	"os"
	"testing"
	"time"
)

// Default addresses of the services on development and CI machines. Each can be
// overridden by the environment variable of the same name.
const (
	DefaultAMQPURL     = "amqp://guest:guest@127.0.0.1:5672/"
	DefaultRedisAddr   = "127.0.0.1:6379"
	DefaultPostgresDSN = "postgres://root@127.0.0.1:5432/test?sslmode=disable"
	DefaultMySQLDSN    = "root:@tcp(127.0.0.1:3306)/test?parseTime=true&multiStatements=true"
)

// CI reports whether the tests run under CI, where missing services are failures.
func CI() bool { return os.Getenv("CI") == "true" }

// Env returns the environment variable key, or def when it is unset.
func Env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// RequireTCP checks that service answers on addr (host:port). When it does not, the test
// fails under CI and is skipped elsewhere.
func RequireTCP(tb testing.TB, service, addr string) {
	tb.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		_ = conn.Close()
		return
	}
	Unavailable(tb, service, err)
}

// Unavailable reports that a service the test needs cannot be used: a failure under
// CI=true, a skip elsewhere.
func Unavailable(tb testing.TB, service string, err error) {
	tb.Helper()
	if CI() {
		tb.Fatalf("%s is required under CI=true but is unavailable: %v", service, err)
	}
	tb.Skipf("%s unavailable (%v); start it to run this test", service, err)
}

// RabbitMQ returns the AMQP URL of the test RabbitMQ (AMQP_URL), after checking it answers.
func RabbitMQ(tb testing.TB) string {
	tb.Helper()
	RequireTCP(tb, "RabbitMQ", "127.0.0.1:5672")
	return Env("AMQP_URL", DefaultAMQPURL)
}

// Redis returns the address of the test Redis (REDIS_ADDR), after checking it answers.
func Redis(tb testing.TB) string {
	tb.Helper()
	addr := Env("REDIS_ADDR", DefaultRedisAddr)
	RequireTCP(tb, "Redis", addr)
	return addr
}

// Postgres returns the DSN of the test PostgreSQL (POSTGRES_DSN), after checking it answers.
func Postgres(tb testing.TB) string {
	tb.Helper()
	RequireTCP(tb, "PostgreSQL", "127.0.0.1:5432")
	return Env("POSTGRES_DSN", DefaultPostgresDSN)
}

// MySQL returns the DSN of the test MariaDB/MySQL (MYSQL_DSN), after checking it answers.
func MySQL(tb testing.TB) string {
	tb.Helper()
	RequireTCP(tb, "MariaDB", "127.0.0.1:3306")
	return Env("MYSQL_DSN", DefaultMySQLDSN)
}
