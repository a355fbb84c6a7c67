package redisstream

import (
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// Name is the kind of the Redis Streams transport in a topology file.
const Name topology.Kind = "redisstream"

// Settings are the settings of a Redis Streams transport.
type Settings struct {
	Addr     string
	Username string
	Password topology.Secret
	DB       int
	// MaxLen caps each stream with approximate trimming (XADD MAXLEN ~); 0 keeps every
	// entry (default 0).
	MaxLen int64
	// BlockTime is how long one XREADGROUP blocks (default 100ms).
	BlockTime time.Duration
	// ClaimInterval is how often stale pending messages are looked for (default 5s).
	ClaimInterval time.Duration
	// MinIdleTime is how long a pending message must be idle before a consumer of the
	// group claims it, the one it was sent to included: a message lost with a dropped
	// connection waits this long (default 60s).
	MinIdleTime time.Duration
}

// Defaults of the settings a topology file leaves out.
const (
	defaultBlockTime     = 100 * time.Millisecond
	defaultClaimInterval = 5 * time.Second
	defaultMinIdleTime   = 60 * time.Second
)

// String prints the settings with the password masked.
func (s *Settings) String() string {
	out := fmt.Sprintf("addr=%s db=%d maxlen=%d block=%s claim_interval=%s min_idle=%s",
		s.Addr, s.DB, s.MaxLen, s.BlockTime, s.ClaimInterval, s.MinIdleTime)
	if s.Password != "" {
		out += " password=" + s.Password.String()
	}
	return out
}

var spec = topology.KindSpec{
	Keys:   []string{"addr", "username", "password", "db", "maxlen", "block_time", "claim_interval", "min_idle_time"},
	Decode: decode,
}

func decode(ts *topology.Settings) any {
	s := &Settings{
		BlockTime:     defaultBlockTime,
		ClaimInterval: defaultClaimInterval,
		MinIdleTime:   defaultMinIdleTime,
	}
	if v, ok := ts.Required("addr", " (host:port)"); ok {
		s.Addr = v
	}
	if v, ok := ts.String("username"); ok {
		s.Username = v
	}
	if v, ok := ts.Secret("password"); ok {
		s.Password = v
	}
	if v, ok := ts.Int("db", 0); ok {
		s.DB = int(v)
	}
	if v, ok := ts.Int("maxlen", 0); ok {
		s.MaxLen = v
	}
	if v, ok := ts.Duration("block_time", false); ok {
		s.BlockTime = v
	}
	if v, ok := ts.Duration("claim_interval", false); ok {
		s.ClaimInterval = v
	}
	if v, ok := ts.Duration("min_idle_time", false); ok {
		s.MinIdleTime = v
	}
	return s
}

// settingsOf returns the settings of cfg, a transport of this kind.
func settingsOf(cfg *topology.Transport) (*Settings, error) {
	return transport.SettingsOf[Settings](cfg)
}

// ClientOptions returns the options of a client of the Redis server of cfg when cfg is a
// Redis Streams transport, for stores that keep their data beside the streams and for
// tests.
func ClientOptions(cfg *topology.Transport) (*redis.Options, bool) {
	s, err := settingsOf(cfg)
	if err != nil {
		return nil, false
	}
	return s.clientOptions(), true
}

func (s *Settings) clientOptions() *redis.Options {
	return &redis.Options{Addr: s.Addr, Username: s.Username, Password: s.Password.Reveal(), DB: s.DB}
}
