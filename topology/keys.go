package topology

import "time"

// Sections of the file format whose keys are checked. The names double as the $defs
// names of config/topology.schema.json ("topology" is the schema's root).
const (
	secTopology  = "topology"
	secTransport = "transport"
	secTopic     = "topic"
	secDefaults  = "defaults"
	secHandler   = "handler"
	secRetry     = "retry"
	secPoison    = "poison"
	secTrace     = "trace"
	secRoute     = "route"
)

// knownKeys lists the keys each section accepts, in documentation order. A transport's
// keys are the "transport" section's plus those its kind registered (KindSpec.Keys); a
// kind's schema section is $defs/<kind>Transport.
var knownKeys = map[string][]string{
	secTopology:  {"version", "transports", "topics", "defaults", "handlers", "routes", "trace"},
	secTransport: {"kind"},
	secTopic:     {"transport", "outbox", "delivery"},
	secDefaults:  {"group", "concurrency", "timeout", "retry", "poison"},
	secHandler:   {"topic", "filter", "group", "concurrency", "timeout", "retry", "poison"},
	secRoute:     {"from", "filter", "to", "concurrency", "timeout", "retry", "poison"},
	secRetry:     {"max_attempts", "initial_interval", "max_interval", "multiplier"},
	secPoison:    {"topic"},
	secTrace:     {"store"},
}

// Built-in defaults.
const (
	defaultConcurrency     = 1
	defaultMaxAttempts     = 5
	defaultInitialInterval = 100 * time.Millisecond
	defaultMaxInterval     = 5 * time.Second
	defaultMultiplier      = 2.0
	defaultPoisonTopic     = "{topic}.poison"
)
