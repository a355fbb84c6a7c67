// Package handlers holds the typed event handlers of the example services, one small
// file per handler. A handler decodes nothing and knows no transport: it is an
// *event.Handler whose name matches a handlers entry of the topology, built from the
// ports it needs (interfaces declared next to it) and registered with the router by the
// binary that runs it.
//
// The registration handlers whose side effect leaves the process (an email) or must not
// repeat (a counter) run it through users.Store.Once, which records the message id per
// handler in the same database, so a redelivered message is a no-op.
package handlers
