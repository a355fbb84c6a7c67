// Package outbox is the transactional outbox: Outbox.Publish writes events, in
// Watermill's forwarder envelope, into a SQL table inside the caller's own transaction,
// so an event exists if and only if the transaction commits; a Relay then publishes
// them to the bus with their ids and metadata. The table layout is the SQL transport's
// Schema. A batch is marked relayed only once all its publishes succeeded, so a crash
// may relay a message twice but never loses one; Config.InFlight above 1 may reorder
// events committed close together. Backlog counts what is not relayed yet.
package outbox
