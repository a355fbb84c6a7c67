// Package bus routes Watermill publishing and subscribing by topic across the transports
// of a topology.
//
// Open opens every transport a topic refers to. A routed publisher resolves each topic
// with Topology.Resolve and publishes through that topic's transport, creating one
// underlying publisher per transport on first use; a topic no entry declares is an error
// wrapping topology.ErrUndeclaredTopic. A routed subscriber belongs to one consumer group
// and creates one underlying subscriber per (transport, delivery mode) on first use, so
// a group consumes shared topics competitively and broadcast topics once per instance
// (Options.Instance).
//
// Options.PublisherDecorators wrap each per-transport publisher when it is created
// (Watermill's publish metrics, trace propagation), so every publish through the bus is
// observed whichever publisher it goes through. Ping and PingTransport check the
// connections, for readiness probes.
//
// Routed publishers and subscribers are real Watermill Pub/Subs: they implement
// message.SubscribeInitializer, close independently and idempotently, and pass
// Watermill's universal test suite on every transport kind.
package bus
