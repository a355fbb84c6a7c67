package registration_test

import (
	"context"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/redis/go-redis/v9"

	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/topology"
)

// cleanupBrokers removes, when the test ends, the exchanges, queues and streams its
// topics created on RabbitMQ and Redis (durable ones would otherwise outlive the run).
// Call it before starting the services so it runs after they stopped.
func cleanupBrokers(t testing.TB, topo *topology.Topology) {
	t.Helper()
	var topics []string
	for _, tp := range topo.Topics {
		if !tp.IsPattern() {
			topics = append(topics, tp.Name)
		}
	}
	groups := []string{"observer", router.PoisonStoreGroup}
	for _, h := range topo.Handlers {
		groups = append(groups, h.Policy.Group)
	}
	t.Cleanup(func() {
		for _, tr := range topo.Transports {
			switch {
			case tr.AMQP != nil:
				conn, err := amqp.Dial(tr.AMQP.URL.Reveal())
				if err != nil {
					t.Logf("cleanup rabbitmq: %v", err)
					continue
				}
				ch, err := conn.Channel()
				if err != nil {
					t.Logf("cleanup rabbitmq: %v", err)
					_ = conn.Close()
					continue
				}
				for _, topic := range topics {
					for _, g := range groups {
						if _, err := ch.QueueDelete(topic+"."+g, false, false, false); err != nil {
							t.Logf("delete queue: %v", err)
						}
					}
					_ = ch.ExchangeDelete(topic, false, false)
				}
				_ = conn.Close()
			case tr.RedisStream != nil:
				c := redis.NewClient(&redis.Options{Addr: tr.RedisStream.Addr, Password: tr.RedisStream.Password.Reveal()})
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if err := c.Del(ctx, topics...).Err(); err != nil {
					t.Logf("cleanup redis: %v", err)
				}
				cancel()
				_ = c.Close()
			}
		}
	})
}
