package transport_test

import (
	"testing"

	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

// TestServerOf checks the server each built-in kind names for a test to require.
func TestServerOf(t *testing.T) {
	for _, c := range []struct {
		tr            *topology.Transport
		service, addr string
	}{
		{transporttest.Parse(t, "m", `{kind: gochannel}`), "", ""},
		{transporttest.Parse(t, "a", `{kind: amqp, url: "amqp://u:p@rabbit/"}`), "RabbitMQ", "rabbit:5672"},
		{transporttest.Parse(t, "r", `{kind: redisstream, addr: "r:6380"}`), "Redis", "r:6380"},
		{transporttest.Parse(t, "p", `{kind: sql, dialect: postgres, dsn: "postgres://root@db/test"}`), "PostgreSQL", "db:5432"},
		{transporttest.Parse(t, "y", `{kind: sql, dialect: mysql, dsn: "root:@tcp(m:3307)/test"}`), "MySQL", "m:3307"},
		{transporttest.Parse(t, "l", `{kind: sql, dialect: sqlite, dsn: x.db}`), "", ""},
	} {
		service, addr, err := transport.ServerOf(c.tr)
		if err != nil || service != c.service || addr != c.addr {
			t.Errorf("ServerOf(%s) = %q, %q, %v; want %q, %q", c.tr.Kind, service, addr, err, c.service, c.addr)
		}
	}
}
