// Package outbox writes events into a SQL table inside the producer's own database
// transaction and relays them to the message bus afterwards: the transactional outbox.
//
// Writing: Outbox.Publish wraps an event in Watermill's forwarder envelope
// (components/forwarder) and inserts it with watermill-sql, through the transaction the
// caller also stores its state in, into the forwarder topic's table. The event exists
// if and only if the transaction commits.
//
// Relaying: the Relay is a forwarder.Forwarder that polls the forwarder topic with a
// watermill-sql subscriber and publishes each unwrapped message, with its original id
// and metadata, to the bus, which routes it to the transport the topology gives its
// topic. Up to Config.InFlight publishes run at once; the subscriber marks a batch of
// rows relayed, in the transaction that read them, only once every publish of the batch
// succeeded, and relays the whole batch again when one failed (pipeline.go). So a crash
// between commit and relay loses nothing; a crash after publishing and before the batch
// is marked relays its messages again with the same ids, which idempotent consumers
// ignore. With InFlight above 1, events committed close together may reach the bus out
// of commit order; InFlight 1 keeps the order.
//
// The table layout is the SQL transport's (Schema in internal/transport/sql), so an
// outbox in PostgreSQL, MySQL or SQLite behaves like a topic on that database.
//
// Observing: Config.Decorators wrap the write path (the tracing decorator stores the
// trace context with the row); Backlog counts the rows not relayed yet, for
// metrics.Outbox.WatchBacklog; the relay's publisher can be wrapped with
// metrics.Outbox.DecoratePublisher before NewRelay.
package outbox
