// Package topology loads and validates millrace topology files: which transports exist,
// which topic lives on which transport, and how each handler consumes.
//
// A topology file is YAML:
//
//	version: 1
//	transports:
//	  rabbit: {kind: amqp, url: "${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}"}
//	  redis:  {kind: redisstream, addr: "${REDIS_ADDR:-127.0.0.1:6379}"}
//	  pg:     {kind: sql, dialect: postgres, dsn: "${POSTGRES_DSN}"}
//	  memory: {kind: gochannel}
//	topics:
//	  users.registered: {transport: rabbit, outbox: pg}
//	  chat.messages:    {transport: redis, delivery: broadcast}
//	  tenant.*.orders:  {transport: pg}
//	defaults:
//	  timeout: 30s
//	  retry: {max_attempts: 5, initial_interval: 100ms, max_interval: 5s, multiplier: 2}
//	  poison: {topic: "{topic}.poison"}
//	handlers:
//	  send-verification-email: {topic: users.registered, group: mailer, concurrency: 4}
//	  update-user-stats:       {topic: "users.*"}
//
// # Transports
//
// Each transport has a kind and the settings of that kind; missing settings take the
// defaults shown in parentheses:
//
//   - gochannel: buffer (256; no effect, see internal/transport/memory).
//   - amqp: url (required), prefetch (64), confirms (true), channel_pool (16),
//     durable (true), reconnect_initial (500ms), reconnect_max (10s).
//   - redisstream: addr (required), username, password, db (0), maxlen (0: no trimming),
//     block_time (100ms), claim_interval (5s), min_idle_time (60s).
//   - sql: dialect (postgres or mysql, required), dsn (required), poll_interval (100ms),
//     initialize_schema (true).
//
// A package may add a kind with RegisterKind: its KindSpec names its settings and
// decodes them through Settings, which keeps errors at their positions.
//
// URLs, DSNs and passwords are Secrets: printing or marshalling a Topology masks them.
//
// # Environment variables
//
// After the YAML is parsed, every scalar value (not keys) has ${VAR} replaced by the
// variable's value and ${VAR:-default} by the value or, when the variable is unset or
// empty, the default. ${VAR} with VAR unset is an error; $$ stands for a literal $. A "$"
// followed by anything else is kept as written.
//
// # Topics and patterns
//
// A topic name is dot-separated segments of letters, digits, "_" and "-". A topic entry
// may be a pattern, in which a segment that is exactly "*" matches any one segment:
// "tenant.*.orders" matches "tenant.acme.orders" but not "tenant.orders" or
// "tenant.a.b.orders". A topic resolves to the entry of its exact name if there is one,
// else to the most specific pattern that matches it: pattern A is more specific than B
// when they have as many segments and each segment of B is "*" or equal to A's. Two
// patterns that can match a common topic while neither is more specific ("a.*" and
// "*.b") are an error unless an entry for their overlap ("a.b") is declared too.
//
// delivery is shared (each consumer group gets a message once; the default) or
// broadcast (every running instance gets every message). outbox names a sql transport
// producers write the topic's messages to inside their own database transaction.
//
// On a sql transport watermill-sql stores a topic in tables named watermill_<topic> and
// watermill_offsets_<topic>, so such topic names may be at most 45 bytes (Postgres
// identifiers are cut at 63).
//
// # Handlers and policies
//
// A handler names one topic, or a glob whose "*" segments are expanded against the
// declared topics that are not patterns (in declaration order). A concrete topic must
// resolve, exactly or through a pattern. The group defaults to defaults.group, else the
// handler name. concurrency, timeout, retry (field by field) and poison override the
// defaults section, which itself defaults to concurrency 1, no timeout, 5 attempts from
// 100ms to 5s with multiplier 2, and poison topic "{topic}.poison".
//
// A poison topic template may use {topic} and {handler}. Write poison: {topic: ""} to
// turn the poison queue off. A poison topic that no entry covers is added to the
// topology as a derived topic on the transport of the topic it comes from.
//
// # Delivery log
//
// An optional top-level trace section turns on the delivery log that `millrace trace`
// reads (package internal/deliverylog): trace: {store: pg}. The store must name a
// declared sql transport; the log is a table in its database.
//
// # Errors
//
// Load and Parse check the whole file before anything connects and return every
// problem at once as an ErrorList, sorted by position, each as
// "file:line:col: field: message".
package topology
