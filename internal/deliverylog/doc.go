// Package deliverylog records where the messages of a flow went and how their handlers
// ended, and reads a flow back as a causal tree: the data behind `millrace trace`.
//
// A Log is turned on by the topology's trace section and kept as one table in the
// database of a sql transport until Prune removes old rows. It records publishes as a
// bus publisher decorator, handler outcomes as a router.Instrument and requests through
// HTTPMiddleware, writing in the background and dropping rows rather than stalling a
// handler. Tree links a correlation id's rows by causation; WriteText prints it and
// Handler serves it as JSON.
package deliverylog
