package bus_test

import (
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// route is one transport the universal suite runs against through the routed bus.
type route struct {
	name string
	// transport returns the transport every topic of the route lives on; it may skip.
	transport func(t *testing.T) *topology.Transport
	features  tests.Features
	// shareBus makes all constructors of one suite run use one Bus: the in-memory
	// transport's broker lives in the transport, so separate Buses would not meet.
	shareBus bool
	// groupPerPubSub gives each Pub/Sub the plain constructor makes a consumer group of
	// its own, as watermill-redisstream's own suite does: there a "new subscriber" is a
	// new consumer group, which is what NewSubscriberReceivesOldMessages describes.
	groupPerPubSub bool
}

func routes() []route {
	return []route{
		{
			name: "memory",
			transport: func(*testing.T) *topology.Transport {
				return &topology.Transport{Name: "memory", Kind: topology.KindGoChannel, GoChannel: &topology.GoChannelConfig{Buffer: 256}}
			},
			// The in-memory broker keeps each group's queue, so consumer groups work and a
			// single consumer sees publish order; unacked messages in flight when a
			// subscription ends are redelivered, so delivery is at-least-once.
			features: tests.Features{
				ConsumerGroups:                      true,
				ExactlyOnceDelivery:                 false,
				GuaranteedOrder:                     false,
				GuaranteedOrderWithSingleSubscriber: true,
				Persistent:                          false,
			},
			shareBus: true,
		},
		{
			name: "amqp",
			transport: func(t *testing.T) *topology.Transport {
				return &topology.Transport{Name: "rabbit", Kind: topology.KindAMQP, AMQP: &topology.AMQPConfig{
					URL: topology.Secret(testenv.RabbitMQ(t)), Prefetch: 64, Confirms: true, ChannelPool: 16, Durable: true,
					ReconnectInitial: 100 * time.Millisecond, ReconnectMax: time.Second,
				}}
			},
			// As watermill-amqp claims for its durable pub/sub config.
			features: tests.Features{
				ConsumerGroups:                      true,
				ExactlyOnceDelivery:                 false,
				GuaranteedOrder:                     true,
				GuaranteedOrderWithSingleSubscriber: true,
				Persistent:                          true,
			},
		},
		{
			name: "redisstream",
			transport: func(t *testing.T) *topology.Transport {
				return &topology.Transport{Name: "redis", Kind: topology.KindRedisStream, RedisStream: &topology.RedisStreamConfig{
					Addr: testenv.Redis(t), BlockTime: 10 * time.Millisecond, ClaimInterval: 3 * time.Second, MinIdleTime: 5 * time.Second,
				}}
			},
			// As watermill-redisstream claims; shared groups start at the stream's first
			// entry, so a new group receives old messages.
			features: tests.Features{
				ConsumerGroups:                      true,
				ExactlyOnceDelivery:                 false,
				GuaranteedOrder:                     false,
				GuaranteedOrderWithSingleSubscriber: true,
				Persistent:                          true,
				NewSubscriberReceivesOldMessages:    true,
			},
			groupPerPubSub: true,
		},
		{
			name: "sql-postgres",
			transport: func(t *testing.T) *topology.Transport {
				return &topology.Transport{Name: "pg", Kind: topology.KindSQL, SQL: &topology.SQLConfig{
					Dialect: topology.DialectPostgres, DSN: topology.Secret(testenv.Postgres(t)),
					PollInterval: 10 * time.Millisecond, InitializeSchema: true,
				}}
			},
			// As watermill-sql claims for PostgreSQL through pgx's database/sql driver.
			features: tests.Features{
				ConsumerGroups:      true,
				ExactlyOnceDelivery: false,
				GuaranteedOrder:     true,
				Persistent:          true,
			},
		},
		{
			name: "sql-mysql",
			transport: func(t *testing.T) *topology.Transport {
				return &topology.Transport{Name: "mysql", Kind: topology.KindSQL, SQL: &topology.SQLConfig{
					Dialect: topology.DialectMySQL, DSN: topology.Secret(testenv.MySQL(t)),
					PollInterval: 10 * time.Millisecond, InitializeSchema: true,
				}}
			},
			// As watermill-sql claims for MySQL.
			features: tests.Features{
				ConsumerGroups:      true,
				ExactlyOnceDelivery: true,
				GuaranteedOrder:     true,
				Persistent:          true,
			},
		},
	}
}

// suiteTopology puts every topic ("*" matches the suite's single-segment names) on tr.
func suiteTopology(tr *topology.Transport) *topology.Topology {
	return &topology.Topology{
		File:       "pubsub_test",
		Version:    1,
		Transports: map[string]*topology.Transport{tr.Name: tr},
		Topics:     []*topology.Topic{{Name: "*", Transport: tr.Name, Delivery: topology.Shared}},
	}
}

func TestPubSub(t *testing.T) {
	for _, r := range routes() {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			topo := suiteTopology(r.transport(t))
			logger := watermill.NopLogger{}

			var shared *bus.Bus
			if r.shareBus {
				shared = mustOpen(t, topo, logger)
			}
			constructor := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
				b := shared
				if b == nil {
					b = mustOpen(t, topo, logger)
				}
				pub, err := b.NewPublisher()
				if err != nil {
					t.Fatal(err)
				}
				sub, err := b.NewSubscriber(group)
				if err != nil {
					t.Fatal(err)
				}
				return pub, sub
			}
			start := time.Now()
			t.Cleanup(func() { t.Logf("route %s: suite took %s", r.name, time.Since(start).Round(time.Millisecond)) })
			tests.TestPubSub(t, r.features,
				func(t *testing.T) (message.Publisher, message.Subscriber) {
					if r.groupPerPubSub {
						return constructor(t, "suite_"+watermill.NewShortUUID())
					}
					return constructor(t, "suite")
				},
				constructor,
			)
		})
	}
}

func mustOpen(t *testing.T, topo *topology.Topology, logger watermill.LoggerAdapter) *bus.Bus {
	t.Helper()
	b, err := bus.Open(topo, bus.Options{Logger: logger})
	if err != nil {
		t.Fatalf("open bus: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close bus: %v", err)
		}
	})
	return b
}
