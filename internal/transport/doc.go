// Package transport opens the brokers a topology names and makes Watermill publishers and
// subscribers on them. New dispatches on the transport's kind; each kind maps a topic and
// a delivery mode (topology.Shared or topology.Broadcast) to its own broker objects as
// described below. Every subscriber takes SubscriberOptions: the consumer Group, the
// Delivery and, for broadcast, the Instance.
//
// # gochannel (in memory)
//
// An in-process broker written for this package rather than Watermill's GoChannel,
// because GoChannel gives every subscription a copy of every message, while shared
// delivery needs competing consumers per group. Each topic has named queues:
//
//   - shared: one queue per topic and group, named <group>. It lives as long as the
//     transport, so messages published while the group has no running subscription wait
//     for it.
//   - broadcast: one queue per topic, group and instance, named <group>.<instance>,
//     removed when its last subscription ends.
//
// A publish appends the message to every queue of the topic; a topic with no queue drops
// it, like a fanout exchange with no bindings. SubscribeInitialize declares the queue.
// Every Subscribe call is one consumer of the queue. A dispatcher offers the head message
// to all idle consumers at once and the first reader takes it; a consumer has at most one
// unacknowledged message. A nacked message, and one unacknowledged when its subscription
// ends, goes back to the head of the queue (at-least-once). The message context is
// cancelled on ack, nack or the end of the subscription. Nothing is durable: messages
// live in the process. Config.Buffer is not used: deliveries are handed over one at a
// time, waiting for the ack.
//
// A consumer gets a copy of the message: what the publisher does to its message after
// Publish, or another group's consumer to its delivery, does not reach it, and a
// redelivery is the message as published. A message its publisher released
// (metadata.Release; the event bus releases every event it publishes) is delivered itself,
// once, to one of the queues, saving a copy of the message and its metadata on the way;
// a copy is still kept for a redelivery.
//
// # amqp (RabbitMQ, watermill-amqp)
//
//   - exchange: one fanout exchange per topic, named <topic>, durable when Durable is set.
//     Publishing to a topic declares its exchange; messages are persistent (delivery mode
//     2) when Durable is set.
//   - shared: one queue per topic and group, named <topic>.<group>, bound to the
//     exchange, durable when Durable is set. All instances of the group consume it.
//   - broadcast: one queue per topic, group and instance, named
//     <topic>.<group>.<instance>, non-durable and auto-delete: RabbitMQ removes it when
//     its last consumer goes away. It is not exclusive, so several subscribers of one
//     instance can share it. A queue declared by SubscribeInitialize but never consumed
//     is not auto-deleted.
//
// A queue receives only what is published after it is bound: SubscribeInitialize binds
// it ahead of the first Subscribe. Publishers use publisher confirms when Confirms is set
// and a pool of ChannelPool channels; consumers use QoS prefetch Prefetch. Publisher and
// subscriber each own one connection and reconnect with exponential backoff from
// ReconnectInitial up to ReconnectMax. The message id, ce_type, ce_source,
// ce_datacontenttype (when set) and correlation id travel in AMQP properties (message_id, type,
// app_id, content_type, correlation_id), the rest of the metadata in headers
// (AMQPMarshaler). The publisher replaces Watermill's publisher, connection and channel
// pool, when the pool loses a channel during an outage (healingPublisher).
//
// # redisstream (Redis Streams, watermill-redisstream)
//
//   - stream: one stream per topic, named <topic>; XADD trims it to about MaxLen
//     entries (MAXLEN ~) when MaxLen is not 0.
//   - shared: consumer group <group>, created at the start of the stream ("0"), so a new
//     group first reads what is already there. Each subscriber is consumer
//     <instance>-<random> of the group.
//   - broadcast: consumer group <group>.<instance>, created at "$": an instance only gets
//     entries added after it first subscribes, and a restarted instance with the same
//     name resumes where it stopped. Groups of instances that are gone stay in Redis and
//     keep their pending entries; remove them with XGROUP DESTROY <topic>
//     <group>.<instance>.
//
// Pending entries idle for MinIdleTime are claimed by a consumer of the group, checked
// every ClaimInterval: those of a consumer that went away, and those sent to a consumer
// that never got them because its connection dropped. One XREADGROUP blocks for
// BlockTime. The transport has one Redis client, shared by its publishers and
// subscribers and closed by Close. Entries are as durable as the Redis server's
// persistence settings make them.
//
// # sql (PostgreSQL or MySQL/MariaDB, watermill-sql)
//
//   - table watermill_<topic>: the messages, one row each; payload is BYTEA (PostgreSQL)
//     or LONGBLOB (MySQL) rather than Watermill's default JSON, so any bytes can be
//     published. The metadata column leaves out an event's ce_id when it equals the
//     uuid column, and reading puts it back (RestoreEventID): PostgreSQL's throughput
//     follows the bytes of a row.
//   - table watermill_offsets_<topic>: one row per consumer group with its last acked
//     offset.
//   - shared: consumer group <group>, which starts at the first row of the table, so a
//     new group first reads the topic's history.
//   - broadcast: consumer group <group>_<instance>. On PostgreSQL and MySQL a new one
//     starts at the topic's last committed row, so a new instance receives only what
//     is published after it subscribes (like a new AMQP queue or a Redis group at "$");
//     an existing one resumes after its last acked row. On SQLite a new one still
//     starts at the first row.
//
// Everything is durable: rows stay until deleted. Subscribers poll every PollInterval
// and redeliver a nacked message after the same interval. With InitializeSchema the
// transport creates a topic's tables on its first publish, subscribe or
// SubscribeInitialize, once per process and serialized (on PostgreSQL with an advisory
// lock across processes, since concurrent CREATE TABLE IF NOT EXISTS of one table can
// fail there). Each topic is checked before use: PostgreSQL cuts identifiers at 63 bytes
// and MySQL refuses more than 64 characters, so a topic whose watermill_offsets_<topic>
// name is longer (a topic over 45 bytes on PostgreSQL) is rejected with an error that
// names it. On MySQL a consumer group's offsets row is inserted before it subscribes;
// see mysqlOffsets for the deadlock this avoids. The transport has one *sql.DB (drivers
// pgx and go-sql-driver/mysql), closed by Close.
//
// A subscriber reads a batch of rows in one transaction and keeps it open until the
// batch's last message is acked, so a slow handler holds it: on PostgreSQL no newer
// transaction is delivered to any subscriber of the database meanwhile (rows are read
// up to the oldest running transaction), and on MySQL, whose subscriber reads
// SERIALIZABLE, a publish to the topic waits for the batch's read locks. Publishes to a
// MySQL topic are serialized per topic (a row lock in millrace_publish_locks held to
// commit) so that rows commit in offset order: concurrent inserts could otherwise commit
// out of order and a subscriber would ack past a row that commits later, losing it.
//
// SQLite (dialect sqlite, pure-Go driver modernc.org/sqlite) is meant for a transactional
// outbox in a single process with no servers (the local profile). A plain file path as
// DSN gets WAL, a busy timeout and BEGIN IMMEDIATE transactions (SQLiteDSN); its folder
// is created on first use and Ping creates nothing. SQLite has one writer: a
// subscriber's batch transaction holds the database's write lock until its last message
// is acked, so every writer of the database waits for a slow consumer (and gives up
// after the busy timeout). The outbox relay acks as soon as the bus accepted a message;
// a topic with slow handlers belongs on another transport.
package transport
