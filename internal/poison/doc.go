// Package poison lists, replays and removes the messages a router's poison middleware
// kept, on whatever transport a topology puts each poison topic.
//
// Open returns the Store of a transport's kind, which browses a poison topic without
// consuming it (table rows on sql, XRANGE on redisstream, the router.PoisonStoreGroup
// queue on amqp, put back after reading) and removes entries only when asked; in-memory
// poison topics cannot be read from another process (ErrInMemory). Replay builds the
// message to send back with its id, payload and metadata; a replay publishes before it
// removes, so an interruption may deliver a message twice but never loses one.
package poison
