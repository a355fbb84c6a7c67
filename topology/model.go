package topology

import (
	"fmt"
	"time"

	"github.com/millrace/millrace/topology/pattern"
)

// Topology is a loaded and validated topology file: which transports exist, which topic
// lives on which transport, and how each handler consumes. A *Topology returned by Load
// or Parse is complete: defaults are merged into every handler, handler globs are
// expanded and poison topics are resolved.
type Topology struct {
	// File is the name errors are reported against (a path, or a profile name).
	File    string
	Version int

	// Transports by name.
	Transports map[string]*Transport
	// Topics in file order, followed by topics the loader derived (poison topics that no
	// declared topic covers). A topic's Name may be a pattern such as "tenant.*.orders".
	Topics []*Topic
	// Defaults as written in the file, with built-in defaults filled in.
	Defaults Policy
	// Handlers in file order, each with its effective policy.
	Handlers []*Handler
	// Routes in file order, each with its effective policy.
	Routes []*Route
	// Trace configures the delivery log; nil when the file has no trace section.
	Trace *Trace

	// index makes Resolve and Handler lookups cheap; set by the loader.
	index *index
}

// Pos is a position in a topology file; Line and Col are 1-based.
type Pos struct {
	Line, Col int
}

// Kind names a transport implementation ("amqp"). The kinds a file can use are those
// registered with RegisterKind; internal/transport/builtin registers the shipped ones.
type Kind string

// Transport is one named broker connection.
type Transport struct {
	Name string
	Kind Kind
	Pos  Pos
	// Settings are what the Decode of the kind's KindSpec returned; the kind's package
	// knows their type.
	Settings any
}

// Database is implemented by the settings of a transport that is a SQL database: an
// outbox, the delivery log and the processed-message record can live in it.
type Database interface {
	// Database returns the dialect ("postgres", "mysql", "sqlite") and the DSN.
	Database() (dialect string, dsn Secret)
}

// Database returns the dialect and DSN of t when t is a SQL database (see Database).
func (t *Transport) Database() (dialect string, dsn Secret, ok bool) {
	db, ok := t.Settings.(Database)
	if !ok {
		return "", "", false
	}
	dialect, dsn = db.Database()
	return dialect, dsn, true
}

// Delivery says who receives a message published on a topic.
type Delivery string

const (
	// Shared: every consumer group receives each message once; the handlers of one group
	// compete for it (the default).
	Shared Delivery = "shared"
	// Broadcast: every running instance receives every message.
	Broadcast Delivery = "broadcast"
)

// Topic maps a topic name, or a pattern of names, to a transport.
type Topic struct {
	// Name is the topic, or a pattern in which a "*" segment stands for any one
	// dot-separated segment ("tenant.*.orders").
	Name      string
	Transport string
	// Outbox names a SQL transport producers write this topic's messages to inside their
	// own database transaction; a forwarder relays them to Transport. Empty: none.
	Outbox   string
	Delivery Delivery
	// Derived is true for topics the loader added (poison topics no entry covers); they
	// live on the transport of the topic they were derived from.
	Derived bool
	Pos     Pos
}

// IsPattern reports whether the topic's name contains a "*" segment.
func (t *Topic) IsPattern() bool { return isPattern(t.Name) }

// Retry is a handler's retry policy. Delays grow from InitialInterval by Multiplier up to
// MaxInterval.
type Retry struct {
	// MaxAttempts counts every attempt including the first; 1 means no retry.
	MaxAttempts     int
	InitialInterval time.Duration
	MaxInterval     time.Duration
	Multiplier      float64
}

// Policy is how a handler consumes: the defaults section and each handler's effective
// settings share this shape.
type Policy struct {
	// Group is the consumer group (queue, Redis group, SQL consumer group); defaults to
	// the handler name.
	Group       string
	Concurrency int
	// Timeout bounds one handler attempt; 0 means none.
	Timeout time.Duration
	Retry   Retry
	// PoisonTopic is a template; "{topic}" and "{handler}" are replaced per subscribed
	// topic. Empty disables the poison queue (errors then nack and redeliver).
	PoisonTopic string
}

// Handler is a handler entry with its effective policy.
type Handler struct {
	Name string
	// Pattern is the topic or glob as written.
	Pattern string
	// Topics are the concrete topics the pattern expanded to, in declaration order.
	Topics []string
	// Filter selects the messages the handler is called for; nil means every message.
	// The others are acknowledged without calling it.
	Filter *pattern.Pattern
	Policy Policy
	Pos    Pos
}

// Route is a routes entry: a consumer of its own (its name is its consumer group)
// that forwards every message of its topics that its filter matches to another topic,
// possibly on another transport. Its Handler holds what it shares with a handler: the
// name, the topics it consumes (Pattern is its "from"), the filter and the policy.
type Route struct {
	Handler
	// To is the concrete topic matching messages are forwarded to.
	To string
}

// PoisonTopicFor returns the poison topic of messages from topic, or "" when the handler
// has no poison queue.
func (h *Handler) PoisonTopicFor(topic string) string {
	return expandPoison(h.Policy.PoisonTopic, topic, h.Name)
}

// Secret is a configuration value that must not be printed: its String, GoString and
// marshalled forms are redacted. Reveal returns the value itself.
type Secret string

// Reveal returns the secret value for use in a connection.
func (s Secret) Reveal() string { return string(s) }

// String returns the value with credentials masked.
func (s Secret) String() string { return redact(string(s)) }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return fmt.Sprintf("topology.Secret(%q)", s.String()) }

// MarshalText redacts the secret in JSON, YAML and text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
