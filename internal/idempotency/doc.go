// Package idempotency makes a handler's effects happen once per message: a record of
// the messages each handler has processed, keyed by handler name and message id, kept
// in the handler's own database (PostgreSQL, MySQL or SQLite) and written in the
// transaction of the effect (Store.Once), or retried on its own after an effect that
// leaves the database (Store.OnceExternal).
package idempotency
