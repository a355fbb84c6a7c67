// Package drain lets the messages a router is handling finish when the service shuts
// down.
//
// Watermill's router cancels the context it subscribed with as soon as it starts
// closing, and then waits for its handlers. Subscribers take that cancellation as the
// end of every message they delivered: the Redis Streams subscriber, for one, stops
// waiting for the ack, so a message whose handler then finishes is never acked and is
// delivered again, and the message's own context, which the handler works with, is
// cancelled under it.
//
// Subscriber (and Bus, for router.Config.Bus) separates the two: the context given to
// Subscribe only stops the delivery of new messages, closing the channel the router
// reads; the messages already delivered keep a live context and their ack or nack
// reaches the broker. A message received but not yet delivered when the context ends
// is nacked, so the broker delivers it again later. Close ends everything: it closes
// the wrapped subscriber and then cancels the contexts of the messages still held, so
// a handler that outlives the router's close timeout is cancelled there.
package drain
