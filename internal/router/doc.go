// Package router runs the handlers of a binary on the topics and policies a topology
// gives them, on top of Watermill's message.Router.
//
// For each handler registered in code, each concrete topic of its topology entry and
// each unit of its concurrency, the router adds one Watermill handler that consumes the
// topic through a subscriber of the handler's consumer group; the registrations of one
// group compete for messages. Every registration runs this middleware chain, outermost
// first:
//
//	correlation  Watermill's CorrelationID, and the message's correlation id and id
//	             (as causation) put into its context for logs and publishing
//	poison       an error that leaves retry publishes the message to the handler's
//	             poison topic and acks it (skipped when the policy has no poison topic)
//	retry        exponential backoff from the policy; permanent errors are not retried
//	attempts     counts attempts in the "attempts" metadata, so a poisoned copy says how
//	             often it was tried
//	recoverer    a panic becomes an error, so it is retried and then poisoned
//	timeout      bounds one attempt when the policy sets a timeout
//
// Poisoned messages are kept: New declares the PoisonStoreGroup subscription on every
// poison topic of the handlers it runs, so the poison topic holds them even where the
// transport drops messages nobody subscribed to (a RabbitMQ fanout exchange without a
// bound queue, the in-memory broker). Read them with that group.
//
// A handler says that an error will never go away with Permanent; any error with a
// Permanent() bool method returning true counts, so packages that cannot import this
// one (such as event, for undecodable payloads) mark their errors the same way.
package router
