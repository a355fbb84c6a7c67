// Package topology loads and validates millrace topology files: which transports exist,
// which topic lives on which transport (an exact name, or a pattern with "*" segments
// where the most specific match wins), how each handler consumes it, and which routes
// forward messages between topics.
//
// A handler's filter and a route's filter are event patterns (package pattern),
// compiled at load. A route is a consumer of its own (its name is its group) that
// forwards what its filter matches from its topics to another topic; a route that would
// forward a message back to itself, directly or through other routes, is a load error.
//
// Load and Parse expand ${VAR} and ${VAR:-default} in scalar values and check the whole
// file before anything connects, returning every problem as an ErrorList of
// "file:line:col: field: message". A Topology resolves topics and handler policies.
// topology knows no transport kind: each kind's package registers a KindSpec that names,
// decodes and validates its settings (internal/transport/builtin registers the shipped
// ones), and a transport whose settings implement Database can hold an outbox and the
// delivery log. The settings are documented in config/topology.schema.json.
package topology
