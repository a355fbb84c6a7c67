package poison

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/redis/go-redis/v9"

	"github.com/millrace/millrace/topology"
)

// redisStore reads the streams of a Redis Streams transport.
type redisStore struct {
	client *redis.Client
	codec  redisstream.DefaultMarshallerUnmarshaller
}

var _ Store = (*redisStore)(nil)

func openRedis(cfg *topology.RedisStreamConfig) (*redisStore, error) {
	if cfg == nil {
		return nil, fmt.Errorf("missing redisstream config")
	}
	return &redisStore{client: redis.NewClient(&redis.Options{
		Addr:     cfg.Addr,
		Username: cfg.Username,
		Password: cfg.Password.Reveal(),
		DB:       cfg.DB,
	})}, nil
}

func (s *redisStore) List(ctx context.Context, topic string) ([]Entry, error) {
	msgs, err := s.client.XRange(ctx, topic, "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("read poison stream %s: %w", topic, err)
	}
	out := make([]Entry, 0, len(msgs))
	for _, m := range msgs {
		msg, err := s.codec.Unmarshal(m.Values)
		if err != nil {
			return nil, fmt.Errorf("poison stream %s, entry %s: %w", topic, m.ID, err)
		}
		out = append(out, Entry{PoisonTopic: topic, Ref: m.ID, Message: msg, StoredAt: streamIDTime(m.ID)})
	}
	return out, nil
}

// streamIDTime is the time in a stream entry id "<milliseconds>-<sequence>".
func streamIDTime(id string) time.Time {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

func (s *redisStore) Get(ctx context.Context, topic, id string) ([]Entry, error) {
	return get(ctx, s, topic, id)
}

func (s *redisStore) Remove(ctx context.Context, topic string, refs ...string) error {
	if len(refs) == 0 {
		return nil
	}
	if err := s.client.XDel(ctx, topic, refs...).Err(); err != nil {
		return fmt.Errorf("remove from poison stream %s: %w", topic, err)
	}
	return nil
}

// Purge trims the stream to nothing, keeping the stream and its consumer groups.
func (s *redisStore) Purge(ctx context.Context, topic string) (int, error) {
	n, err := s.client.XTrimMaxLen(ctx, topic, 0).Result()
	if err != nil {
		return 0, fmt.Errorf("purge poison stream %s: %w", topic, err)
	}
	return int(n), nil
}

func (s *redisStore) Close() error { return s.client.Close() }
