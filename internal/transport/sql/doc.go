// Package sql is the SQL transport (kind sql) on PostgreSQL, MySQL/MariaDB or SQLite,
// on watermill-sql; its Schema is also the table layout of the transactional outbox.
// How a topic and a delivery mode map to tables and consumer groups:
//
//   - table watermill_<topic>: the messages, one row each; payload is BYTEA (PostgreSQL)
//     or LONGBLOB (MySQL) rather than Watermill's default JSON, so any bytes can be
//     published. The metadata column leaves out an event's ce_id when it equals the
//     uuid column, and reading puts it back (metadata.RestoreEventID): PostgreSQL's
//     throughput follows the bytes of a row.
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
// see ensureGroup for the deadlock this avoids. The transport has one *sql.DB (drivers
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
// DSN gets WAL, a busy timeout and BEGIN IMMEDIATE transactions (sqldb.SQLiteDSN); its folder
// is created on first use and Ping creates nothing. SQLite has one writer: a
// subscriber's batch transaction holds the database's write lock until its last message
// is acked, so every writer of the database waits for a slow consumer (and gives up
// after the busy timeout). The outbox relay acks as soon as the bus accepted a message;
// a topic with slow handlers belongs on another transport.
package sql
