package topology

import "time"

// Sections of the file format whose keys are checked. The names double as the $defs
// names of config/topology.schema.json ("topology" is the schema's root).
const (
	secTopology    = "topology"
	secTransport   = "transport"
	secGoChannel   = "gochannelTransport"
	secAMQP        = "amqpTransport"
	secRedisStream = "redisstreamTransport"
	secSQL         = "sqlTransport"
	secTopic       = "topic"
	secDefaults    = "defaults"
	secHandler     = "handler"
	secRetry       = "retry"
	secPoison      = "poison"
	secTrace       = "trace"
)

// knownKeys lists the keys each section accepts, in documentation order. A transport's
// keys are the "transport" section's plus those of its kind.
var knownKeys = map[string][]string{
	secTopology:    {"version", "transports", "topics", "defaults", "handlers", "trace"},
	secTransport:   {"kind"},
	secGoChannel:   {"kind", "buffer"},
	secAMQP:        {"kind", "url", "prefetch", "confirms", "channel_pool", "durable", "reconnect_initial", "reconnect_max"},
	secRedisStream: {"kind", "addr", "username", "password", "db", "maxlen", "block_time", "claim_interval", "min_idle_time"},
	secSQL:         {"kind", "dialect", "dsn", "poll_interval", "initialize_schema"},
	secTopic:       {"transport", "outbox", "delivery"},
	secDefaults:    {"group", "concurrency", "timeout", "retry", "poison"},
	secHandler:     {"topic", "group", "concurrency", "timeout", "retry", "poison"},
	secRetry:       {"max_attempts", "initial_interval", "max_interval", "multiplier"},
	secPoison:      {"topic"},
	secTrace:       {"store"},
}

// kindSection maps a transport kind to the section of its keys.
var kindSection = map[Kind]string{
	KindGoChannel:   secGoChannel,
	KindAMQP:        secAMQP,
	KindRedisStream: secRedisStream,
	KindSQL:         secSQL,
}

// kinds lists the transport kinds in the order error messages name them.
var kinds = []Kind{KindAMQP, KindGoChannel, KindRedisStream, KindSQL}

// Built-in defaults.
const (
	defaultBuffer           = 256
	defaultPrefetch         = 64
	defaultChannelPool      = 16
	defaultReconnectInitial = 500 * time.Millisecond
	defaultReconnectMax     = 10 * time.Second
	defaultBlockTime        = 100 * time.Millisecond
	defaultClaimInterval    = 5 * time.Second
	defaultMinIdleTime      = 60 * time.Second
	defaultPollInterval     = 100 * time.Millisecond
	defaultConcurrency      = 1
	defaultMaxAttempts      = 5
	defaultInitialInterval  = 100 * time.Millisecond
	defaultMaxInterval      = 5 * time.Second
	defaultMultiplier       = 2.0
	defaultPoisonTopic      = "{topic}.poison"

	// sqlTablePrefix is the longest table name prefix watermill-sql puts before a topic.
	sqlTablePrefix = "watermill_offsets_"
	// maxIdentifier is Postgres' identifier limit in bytes (MySQL allows 64).
	maxIdentifier = 63
)
