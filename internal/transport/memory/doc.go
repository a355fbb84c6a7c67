// Package memory is the in-process transport (kind gochannel): a broker inside the
// process with the shared and broadcast semantics of the network brokers, which
// Watermill's GoChannel lacks (it gives every subscriber every message).
//
// A topic holds one queue per shared group, named <group>, kept as long as the transport,
// and one per broadcast instance, named <group>.<instance>, removed with its last
// subscription. A publish appends to every queue of the topic; the consumers of a queue
// compete, one unacknowledged message each, and a nack puts the message back at the
// head. Nothing outlives the process.
package memory
