// Package sql is the SQL transport (kind sql) on PostgreSQL, MySQL/MariaDB or SQLite,
// on watermill-sql; its Schema is also the table layout of the transactional outbox.
//
// A topic is the table watermill_<topic> of messages and watermill_offsets_<topic>, one
// row per consumer group with its last acked offset. A shared group is the consumer
// group <group>, starting at the first row. A broadcast instance is the consumer group
// <group>_<instance>; on PostgreSQL and MySQL a new one starts after the last committed
// row, on SQLite at the first. A subscriber polls, and holds the transaction of a batch
// until the batch is acked. SQLite serves an outbox in one process with no servers.
package sql
