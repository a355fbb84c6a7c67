// Package poison reads, replays and removes the messages that a router's poison
// middleware kept, on whatever transport a topology puts each poison topic.
//
// A Store browses the poison topics of one transport without consuming them durably
// and removes entries only when asked. Open returns the Store of a transport's kind:
//
//   - sql (PostgreSQL, MySQL/MariaDB, SQLite): SELECT from the topic's messages table,
//     watermill_<topic>, ordered by offset; Remove and Purge DELETE rows. Consumer
//     offsets are left alone. An entry's Ref is the row's offset.
//   - redisstream: XRANGE over the stream <topic>; Remove is XDEL, Purge is
//     XTRIM MAXLEN 0, which keeps the stream and its consumer groups. An entry's Ref is
//     the stream entry id, which also dates it.
//   - amqp (RabbitMQ): the messages kept for the router.PoisonStoreGroup consumer
//     group, in the queue <topic>.<group>. List takes them with basic.get without
//     acknowledging on one channel, then closes the channel, so RabbitMQ puts every
//     message back at its place in the queue; it marks them redelivered, which is the
//     only trace a listing leaves. Remove and Purge acknowledge the chosen messages
//     and close the channel in the same way. An entry's Ref is its message UUID.
//   - gochannel (in memory): poison queues live inside the service process and cannot
//     be read from another process; Open returns an error wrapping ErrInMemory.
//
// Entries are named by their message UUID, the same on every transport. Watermill's
// poison middleware sets reason_poisoned, topic_poisoned and handler_poisoned (the
// topology handler name, set by the router) and subscriber_poisoned (the consumer
// group, set by the router); the router adds attempts and poisoned_at.
// Replay builds the message to send back: the same UUID, payload and metadata
// (correlation id included) without those keys, and with "replayed" counting the
// replays. A replay publishes first and removes afterwards, so an interrupted replay
// never loses a message; it may deliver one twice, which idempotent handlers tolerate.
package poison
