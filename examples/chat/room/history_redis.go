package room

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisHistoryPrefix is the key prefix of RedisHistory lists.
const DefaultRedisHistoryPrefix = "millrace:chat:history:"

// RedisHistory keeps each room's last messages in a Redis list <prefix><room>, as JSON,
// trimmed to Limit entries on every append.
type RedisHistory struct {
	client redis.UniversalClient
	prefix string
	limit  int64
}

var _ History = (*RedisHistory)(nil)

// NewRedisHistory returns a RedisHistory on client. An empty prefix means
// DefaultRedisHistoryPrefix, a limit that is not positive HistoryLimit. The caller owns
// client.
func NewRedisHistory(client redis.UniversalClient, prefix string, limit int) *RedisHistory {
	if prefix == "" {
		prefix = DefaultRedisHistoryPrefix
	}
	if limit <= 0 {
		limit = HistoryLimit
	}
	return &RedisHistory{client: client, prefix: prefix, limit: int64(limit)}
}

// Append pushes msg and trims the room's list in one transaction.
func (h *RedisHistory) Append(ctx context.Context, msg *MessageSent) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("redis history: encode: %w", err)
	}
	key := h.prefix + msg.Room
	_, err = h.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, key, data)
		p.LTrim(ctx, key, -h.limit, -1)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis history: append to %s: %w", key, err)
	}
	return nil
}

// Recent returns the last n messages of room, oldest first.
func (h *RedisHistory) Recent(ctx context.Context, room string, n int) ([]MessageSent, error) {
	if n <= 0 {
		return nil, nil
	}
	key := h.prefix + room
	items, err := h.client.LRange(ctx, key, -int64(n), -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redis history: read %s: %w", key, err)
	}
	msgs := make([]MessageSent, 0, len(items))
	for _, it := range items {
		var m MessageSent
		if err := json.Unmarshal([]byte(it), &m); err != nil {
			return nil, fmt.Errorf("redis history: decode entry of %s: %w", key, err)
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}
