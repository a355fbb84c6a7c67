package redisstream

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/redis/go-redis/v9"

	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// Kind is the Redis Streams transport, kind redisstream in the topology file.
var Kind = transport.Kind{
	Name:     Name,
	Settings: spec,
	Open: func(cfg *topology.Transport, logger watermill.LoggerAdapter) (transport.Transport, error) {
		return newRedisStream(cfg, logger)
	},
	Browse: openBrowser,
	Drop:   drop,
	Server: func(cfg *topology.Transport) (string, string, error) {
		c, err := settingsOf(cfg)
		if err != nil {
			return "", "", err
		}
		return "Redis", c.Addr, nil
	},
}

// redisTransport is a Redis Streams transport: one client shared by all its publishers
// and subscribers, closed by Close.
type redisTransport struct {
	name   string
	cfg    Settings
	client *redis.Client
	logger watermill.LoggerAdapter

	closeOnce sync.Once
	closeErr  error
}

func newRedisStream(cfg *topology.Transport, logger watermill.LoggerAdapter) (*redisTransport, error) {
	sc, err := settingsOf(cfg)
	if err != nil {
		return nil, err
	}
	c := *sc
	if c.Addr == "" {
		return nil, errors.New("redisstream: empty addr")
	}
	if c.MaxLen < 0 {
		return nil, fmt.Errorf("redisstream: negative max_len %d", c.MaxLen)
	}
	return &redisTransport{name: cfg.Name, cfg: c, client: newClient(&c), logger: logger}, nil
}

func (r *redisTransport) Name() string        { return r.name }
func (r *redisTransport) Kind() topology.Kind { return Name }

// sharedClient keeps Watermill's publisher and subscriber, which close their client on
// Close, from closing the transport's shared one.
type sharedClient struct{ redis.UniversalClient }

// Close does nothing: the transport closes the client.
func (sharedClient) Close() error { return nil }

func (r *redisTransport) NewPublisher() (message.Publisher, error) {
	pub, err := redisstream.NewPublisher(redisstream.PublisherConfig{
		Client:        sharedClient{r.client},
		DefaultMaxlen: r.cfg.MaxLen,
	}, r.logger)
	if err != nil {
		return nil, fmt.Errorf("redisstream publisher: %w", err)
	}
	return pub, nil
}

// redisGroup returns the consumer group, consumer name and start id of a subscriber:
// shared delivery reads the stream from its start as group <group>; broadcast delivery
// reads only new entries as group <group>.<instance>.
func redisGroup(opts transport.SubscriberOptions) (group, consumer, oldestID string) {
	consumer = opts.Instance + "-" + watermill.NewShortUUID()
	if opts.Instance == "" {
		consumer = watermill.NewShortUUID()
	}
	if opts.Broadcast() {
		return opts.Group + "." + opts.Instance, consumer, "$"
	}
	return opts.Group, consumer, "0"
}

func (r *redisTransport) NewSubscriber(opts transport.SubscriberOptions) (message.Subscriber, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	group, consumer, oldest := redisGroup(opts)
	sub, err := redisstream.NewSubscriber(redisstream.SubscriberConfig{
		Client:                        sharedClient{r.client},
		Consumer:                      consumer,
		ConsumerGroup:                 group,
		OldestId:                      oldest,
		BlockTime:                     r.cfg.BlockTime,
		ClaimInterval:                 r.cfg.ClaimInterval,
		MaxIdleTime:                   r.cfg.MinIdleTime,
		DisableIndefiniteInitialBlock: true,
	}, r.logger)
	if err != nil {
		return nil, fmt.Errorf("redisstream subscriber: %w", err)
	}
	return sub, nil
}

// Ping sends PING.
func (r *redisTransport) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping %s: %w", r.cfg.Addr, err)
	}
	return nil
}

// Close closes the shared client; close publishers and subscribers first.
func (r *redisTransport) Close() error {
	r.closeOnce.Do(func() {
		if err := r.client.Close(); err != nil {
			r.closeErr = fmt.Errorf("close redis client: %w", err)
		}
	})
	return r.closeErr
}

// newClient returns a client of the Redis server s names.
func newClient(s *Settings) *redis.Client { return redis.NewClient(s.clientOptions()) }

// drop deletes the stream of topic, with its consumer groups.
func drop(ctx context.Context, cfg *topology.Transport, topic string, _ ...string) error {
	s, err := settingsOf(cfg)
	if err != nil {
		return err
	}
	c := newClient(s)
	defer c.Close()
	return c.Del(ctx, topic).Err()
}
