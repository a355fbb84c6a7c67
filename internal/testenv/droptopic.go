package testenv

import (
	"context"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/redis/go-redis/v9"

	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/topology"
)

// DropTopic removes what a test left on transport tr for topic, so unique per-run topics
// do not pile up on the shared local services: the exchange and the <topic>.<group>
// queues of groups (RabbitMQ), the stream (Redis), the messages and offsets tables
// (MySQL; PostgreSQL tests use PostgresSchema, which drops everything). SQLite and the
// in-memory transport need nothing. Failures are logged, not fatal.
func DropTopic(tb testing.TB, tr *topology.Transport, topic string, groups ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch tr.Kind {
	case topology.KindAMQP:
		conn, err := amqp.Dial(tr.AMQP.URL.Reveal())
		if err != nil {
			tb.Logf("drop topic %s: %v", topic, err)
			return
		}
		defer conn.Close()
		for _, g := range groups {
			if ch, err := conn.Channel(); err == nil {
				_, _ = ch.QueueDelete(topic+"."+g, false, false, false)
				_ = ch.Close()
			}
		}
		if ch, err := conn.Channel(); err == nil {
			_ = ch.ExchangeDelete(topic, false, false)
			_ = ch.Close()
		}
	case topology.KindRedisStream:
		c := redis.NewClient(&redis.Options{Addr: tr.RedisStream.Addr, Username: tr.RedisStream.Username,
			Password: tr.RedisStream.Password.Reveal(), DB: tr.RedisStream.DB})
		defer c.Close()
		if err := c.Del(ctx, topic).Err(); err != nil {
			tb.Logf("drop topic %s: %v", topic, err)
		}
	case topology.KindSQL:
		if sqldb.Dialect(tr.SQL.Dialect) != sqldb.MySQL {
			return
		}
		db, err := sqldb.Open(sqldb.MySQL, tr.SQL.DSN.Reveal())
		if err != nil {
			tb.Logf("drop topic %s: %v", topic, err)
			return
		}
		defer db.Close()
		for _, table := range []string{"watermill_" + topic, "watermill_offsets_" + topic} {
			if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+sqldb.MySQL.Quote(table)); err != nil {
				tb.Logf("drop table %s: %v", table, err)
			}
		}
	}
}
