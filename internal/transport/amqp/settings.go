package amqp

import (
	"fmt"
	"strings"
	"time"

	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// Name is the kind of the RabbitMQ transport in a topology file.
const Name topology.Kind = "amqp"

// Settings are the settings of a RabbitMQ transport.
type Settings struct {
	URL topology.Secret
	// Prefetch is the per-consumer QoS prefetch count (default 64).
	Prefetch int
	// Confirms turns on publisher confirms (default true).
	Confirms bool
	// ChannelPool is the number of channels publishes share (default 16).
	ChannelPool int
	// Durable makes exchanges and shared queues survive a broker restart (default true).
	Durable bool
	// ReconnectInitial and ReconnectMax bound the reconnect backoff
	// (defaults 500ms and 10s).
	ReconnectInitial time.Duration
	ReconnectMax     time.Duration
}

// Defaults of the settings a topology file leaves out.
const (
	defaultPrefetch         = 64
	defaultChannelPool      = 16
	defaultReconnectInitial = 500 * time.Millisecond
	defaultReconnectMax     = 10 * time.Second
)

// String prints the settings with the URL's password masked.
func (s *Settings) String() string {
	return fmt.Sprintf("url=%s prefetch=%d confirms=%t channel_pool=%d durable=%t reconnect=%s..%s",
		s.URL, s.Prefetch, s.Confirms, s.ChannelPool, s.Durable, s.ReconnectInitial, s.ReconnectMax)
}

var spec = topology.KindSpec{
	Keys:   []string{"url", "prefetch", "confirms", "channel_pool", "durable", "reconnect_initial", "reconnect_max"},
	Decode: decode,
}

func decode(ts *topology.Settings) any {
	s := &Settings{
		Prefetch:         defaultPrefetch,
		Confirms:         true,
		ChannelPool:      defaultChannelPool,
		Durable:          true,
		ReconnectInitial: defaultReconnectInitial,
		ReconnectMax:     defaultReconnectMax,
	}
	if u, ok := ts.Required("url", " (amqp://user:password@host:5672/vhost)"); ok {
		if !strings.HasPrefix(u, "amqp://") && !strings.HasPrefix(u, "amqps://") {
			ts.Errorf("url", "url must start with amqp:// or amqps://, got %q", topology.Redact(u))
		}
		s.URL = topology.Secret(u)
	}
	if v, ok := ts.Int("prefetch", 1); ok {
		s.Prefetch = int(v)
	}
	if v, ok := ts.Bool("confirms"); ok {
		s.Confirms = v
	}
	if v, ok := ts.Int("channel_pool", 1); ok {
		s.ChannelPool = int(v)
	}
	if v, ok := ts.Bool("durable"); ok {
		s.Durable = v
	}
	ri, riSet := ts.Duration("reconnect_initial", false)
	if riSet {
		s.ReconnectInitial = ri
	}
	rm, rmSet := ts.Duration("reconnect_max", false)
	if rmSet {
		s.ReconnectMax = rm
	}
	if (riSet || rmSet) && s.ReconnectMax < s.ReconnectInitial {
		key := "reconnect_max"
		if !rmSet {
			key = "reconnect_initial"
		}
		ts.Errorf(key, "reconnect_max (%s) must not be less than reconnect_initial (%s)", s.ReconnectMax, s.ReconnectInitial)
	}
	return s
}

// settingsOf returns the settings of cfg, a transport of this kind.
func settingsOf(cfg *topology.Transport) (*Settings, error) {
	return transport.SettingsOf[Settings](cfg)
}

// URL returns the broker URL of cfg when it is a RabbitMQ transport, for tests and tools
// that talk to the broker directly.
func URL(cfg *topology.Transport) (topology.Secret, bool) {
	s, err := settingsOf(cfg)
	if err != nil {
		return "", false
	}
	return s.URL, true
}
