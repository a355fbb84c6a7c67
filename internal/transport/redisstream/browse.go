package redisstream

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/redis/go-redis/v9"

	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// browser reads the streams of a Redis Streams transport.
type browser struct {
	client *redis.Client
	codec  redisstream.DefaultMarshallerUnmarshaller
}

var _ transport.Browser = (*browser)(nil)

// openBrowser returns a browser of the streams of transport cfg. Streams keep every
// entry whatever the consumer group, so group is not needed.
func openBrowser(cfg *topology.Transport, _ string) (transport.Browser, error) {
	s, err := settingsOf(cfg)
	if err != nil {
		return nil, err
	}
	return &browser{client: newClient(s)}, nil
}

func (s *browser) List(ctx context.Context, topic string) ([]transport.Stored, error) {
	msgs, err := s.client.XRange(ctx, topic, "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("read poison stream %s: %w", topic, err)
	}
	out := make([]transport.Stored, 0, len(msgs))
	for _, m := range msgs {
		msg, err := s.codec.Unmarshal(m.Values)
		if err != nil {
			return nil, fmt.Errorf("poison stream %s, entry %s: %w", topic, m.ID, err)
		}
		out = append(out, transport.Stored{Ref: m.ID, Message: msg, StoredAt: streamIDTime(m.ID)})
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

func (s *browser) Get(ctx context.Context, topic, id string) ([]transport.Stored, error) {
	return transport.GetByID(ctx, s, topic, id)
}

func (s *browser) Remove(ctx context.Context, topic string, refs ...string) error {
	if len(refs) == 0 {
		return nil
	}
	if err := s.client.XDel(ctx, topic, refs...).Err(); err != nil {
		return fmt.Errorf("remove from poison stream %s: %w", topic, err)
	}
	return nil
}

// Purge trims the stream to nothing, keeping the stream and its consumer groups.
func (s *browser) Purge(ctx context.Context, topic string) (int, error) {
	n, err := s.client.XTrimMaxLen(ctx, topic, 0).Result()
	if err != nil {
		return 0, fmt.Errorf("purge poison stream %s: %w", topic, err)
	}
	return int(n), nil
}

func (s *browser) Close() error { return s.client.Close() }
