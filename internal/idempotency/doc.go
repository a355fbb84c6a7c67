// Package idempotency makes a handler's effects happen once per message: a record of
// the messages each handler has processed, keyed by handler name and message id, kept
// in the handler's own database and written in the transaction of the effect.
package idempotency
