// Package handlers holds the typed event handlers of the registration example, one per
// file, with no transport code: the router gives them their topics, retries and poison
// queue from the topology.
//
// Handlers whose side effect leaves the process (an email) or must not repeat (a
// counter) run it through users.Store.Once, which records the message id per handler in
// the same database, so a redelivered message is a no-op.
package handlers
