// Package transport opens the brokers a topology names and makes Watermill publishers and
// subscribers on them. Each kind is a package of its own (memory, amqp, redisstream,
// sql) that registers a Kind: how to open a transport, browse the messages its topics
// keep and remove a topic's broker objects. Package builtin registers the kinds millrace
// ships with; New dispatches on the registered kinds. Every subscriber takes
// SubscriberOptions: the consumer Group, the Delivery (topology.Shared or
// topology.Broadcast) and, for broadcast, the Instance, which each kind maps to its own
// broker objects as its package documentation says.
package transport
