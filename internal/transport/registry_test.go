package transport_test

import (
	"testing"

	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// TestServerOf checks the server each built-in kind names for a test to require.
func TestServerOf(t *testing.T) {
	for _, c := range []struct {
		tr            *topology.Transport
		service, addr string
	}{
		{&topology.Transport{Kind: topology.KindGoChannel}, "", ""},
		{&topology.Transport{Kind: topology.KindAMQP, AMQP: &topology.AMQPConfig{URL: "amqp://u:p@rabbit/"}}, "RabbitMQ", "rabbit:5672"},
		{&topology.Transport{Kind: topology.KindRedisStream, RedisStream: &topology.RedisStreamConfig{Addr: "r:6380"}}, "Redis", "r:6380"},
		{&topology.Transport{Kind: topology.KindSQL, SQL: &topology.SQLConfig{Dialect: topology.DialectPostgres, DSN: "postgres://root@db/test"}}, "PostgreSQL", "db:5432"},
		{&topology.Transport{Kind: topology.KindSQL, SQL: &topology.SQLConfig{Dialect: topology.DialectMySQL, DSN: "root:@tcp(m:3307)/test"}}, "MySQL", "m:3307"},
		{&topology.Transport{Kind: topology.KindSQL, SQL: &topology.SQLConfig{Dialect: topology.DialectSQLite, DSN: "x.db"}}, "", ""},
	} {
		service, addr, err := transport.ServerOf(c.tr)
		if err != nil || service != c.service || addr != c.addr {
			t.Errorf("ServerOf(%s) = %q, %q, %v; want %q, %q", c.tr.Kind, service, addr, err, c.service, c.addr)
		}
	}
}
