package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/millrace/millrace/topology"
)

// Kind is one transport implementation, as its package registers it.
type Kind struct {
	// Name is the kind in the topology file ("amqp").
	Name topology.Kind
	// Settings says which settings a transport of this kind takes in a topology file and
	// how they are decoded and validated; Register registers it with the topology
	// loader. A kind without Settings.Decode registers its settings itself.
	Settings topology.KindSpec
	// Open opens a transport of this kind. Brokers are dialled lazily, except where the
	// kind shares one client, which Open creates; nothing is sent before first use.
	Open func(cfg *topology.Transport, logger watermill.LoggerAdapter) (Transport, error)
	// Browse opens a Browser of the topics of a transport of this kind, showing what
	// consumer group group keeps; nil for a kind whose topics cannot be read from
	// another process.
	Browse func(cfg *topology.Transport, group string) (Browser, error)
	// Drop removes what a transport of this kind keeps for topic and the given consumer
	// groups (exchanges and queues, streams, tables), for tests that clean up after
	// themselves; nil when there is nothing to remove.
	Drop func(ctx context.Context, cfg *topology.Transport, topic string, groups ...string) error
	// Server returns the name of the service (RabbitMQ, PostgreSQL) and the host:port
	// a transport of this kind talks to, for tests that check it answers; addr is
	// empty, or Server nil, when there is no server (in memory, a SQLite file).
	Server func(cfg *topology.Transport) (service, addr string, err error)
	// InProcess kinds keep their broker inside the transport: nothing survives the
	// process and other processes never meet it.
	InProcess bool
}

var (
	kindsMu sync.RWMutex
	kinds   = map[topology.Kind]Kind{}
)

// Register makes a kind available to New and OpenBrowser, and its settings to the
// topology loader. It panics when the kind has no name or Open, or is registered twice:
// registration happens once, at start-up.
func Register(k Kind) {
	if k.Name == "" || k.Open == nil {
		panic("transport: Register needs a kind name and an Open function")
	}
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if _, dup := kinds[k.Name]; dup {
		panic(fmt.Sprintf("transport: kind %q registered twice", k.Name))
	}
	kinds[k.Name] = k
	if k.Settings.Decode != nil {
		topology.RegisterKind(k.Name, k.Settings)
	}
}

// Lookup returns the registered kind named name.
func Lookup(name topology.Kind) (Kind, bool) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	k, ok := kinds[name]
	return k, ok
}

// Kinds returns the names of the registered kinds, sorted.
func Kinds() []topology.Kind {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := make([]topology.Kind, 0, len(kinds))
	for name := range kinds {
		out = append(out, name)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func lookup(cfg *topology.Transport) (Kind, error) {
	if cfg == nil {
		return Kind{}, errors.New("transport: nil config")
	}
	k, ok := Lookup(cfg.Kind)
	if !ok {
		return Kind{}, fmt.Errorf("transport %q: unknown kind %q", cfg.Name, cfg.Kind)
	}
	return k, nil
}

// New opens the transport cfg describes with its kind's Open.
func New(cfg *topology.Transport, logger watermill.LoggerAdapter) (Transport, error) {
	k, err := lookup(cfg)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	logger = logger.With(watermill.LogFields{"transport": cfg.Name})
	t, err := k.Open(cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("transport %q: %w", cfg.Name, err)
	}
	return t, nil
}

// InProcess reports whether kind keeps its broker inside the process (see
// Kind.InProcess).
func InProcess(kind topology.Kind) bool {
	k, ok := Lookup(kind)
	return ok && k.InProcess
}

// OpenBrowser returns a Browser of the topics of transport cfg, showing what consumer
// group group keeps. For a kind whose topics live in a service's process it returns an
// error wrapping ErrInProcess.
func OpenBrowser(cfg *topology.Transport, group string) (Browser, error) {
	k, err := lookup(cfg)
	if err != nil {
		return nil, err
	}
	if k.Browse == nil {
		return nil, ErrInProcess
	}
	return k.Browse(cfg, group)
}

// DropTopic removes what transport cfg keeps for topic and groups (see Kind.Drop).
func DropTopic(ctx context.Context, cfg *topology.Transport, topic string, groups ...string) error {
	k, err := lookup(cfg)
	if err != nil {
		return err
	}
	if k.Drop == nil {
		return nil
	}
	return k.Drop(ctx, cfg, topic, groups...)
}

// ServerOf returns the service name and host:port transport cfg talks to; addr is empty
// when it has no server or its kind is not registered (see Kind.Server).
func ServerOf(cfg *topology.Transport) (service, addr string, err error) {
	k, err := lookup(cfg)
	if err != nil || k.Server == nil {
		return "", "", nil
	}
	return k.Server(cfg)
}

// HostPort adds port to host when it has none.
func HostPort(host, port string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), port)
}

// SettingsOf returns the settings of cfg as its kind's package decoded them (a *T), or an
// error naming the transport when they are of another type or missing.
func SettingsOf[T any](cfg *topology.Transport) (*T, error) {
	s, ok := cfg.Settings.(*T)
	if !ok || s == nil {
		return nil, fmt.Errorf("transport %q of kind %q has no %T settings", cfg.Name, cfg.Kind, s)
	}
	return s, nil
}
