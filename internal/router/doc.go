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
//	delivery     Config.Instruments observe the delivery and its outcome (ok, poison,
//	             nack); skipped without instruments
//	poison       an error that leaves retry publishes the message to the handler's
//	             poison topic and acks it (skipped when the policy has no poison topic)
//	retry        exponential backoff from the policy; permanent errors are not retried
//	             (see retry: Watermill's Retry schedule, no state built for a message
//	             handled at the first attempt)
//	attempts     counts attempts in the "attempts" metadata, so a poisoned copy says how
//	             often it was tried
//	attempt      Config.Instruments observe each attempt and its outcome (ok, retry,
//	             poison, nack); skipped without instruments
//	recoverer    a panic becomes an error, so it is retried and then poisoned
//	timeout      bounds one attempt when the policy sets a timeout (a context that
//	             starts its timer only once something waits on Done; see timeout)
//
// The chain runs on a worker goroutine that lives as long as the router, one per
// Watermill handler, rather than on the short-lived goroutine Watermill starts for each
// message: the chain is deep enough that a new goroutine would grow its stack by copying
// it for every message (see onWorker).
//
// Nothing is dropped for want of a consumer that has not started yet: New declares the
// consumer group subscription of every handler in the topology on its shared topics
// (for handlers other binaries run, on transports that outlive the process), and the
// PoisonStoreGroup subscription on every poison topic, before anything is published.
// A RabbitMQ fanout exchange with no queue bound, or the in-memory broker for a group
// without a queue, would otherwise drop what it receives.
//
// An Instrument that is also a WatermillInstrument decorates the Watermill router
// before any handler is added (Watermill's Prometheus metrics do so); its router-level
// middleware then runs outside the chain above.
//
// Close lets the messages being handled finish: the subscribers the router creates
// stop delivering new messages when it starts closing, while the messages in flight keep
// a live context and their acks reach the broker (see drainingSubscriber). A message
// received but not handled yet is nacked and delivered again after a restart.
//
// A handler says that an error will never go away with Permanent; any error with a
// Permanent() bool method returning true counts, so packages that cannot import this
// one (such as event, for undecodable payloads) mark their errors the same way.
package router
