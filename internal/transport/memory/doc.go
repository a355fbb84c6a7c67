// Package memory is the in-memory transport (kind gochannel): a broker inside the
// process with the same shared and broadcast semantics as the network brokers.
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
package memory
