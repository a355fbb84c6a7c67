// Package topology loads and validates millrace topology files: which transports exist,
// which topic lives on which transport (an exact name, or a pattern with "*" segments
// where the most specific match wins), and how each handler consumes it.
//
// Load and Parse expand ${VAR} and ${VAR:-default} in scalar values and check the whole
// file before anything connects, returning every problem as an ErrorList of
// "file:line:col: field: message". A Topology resolves topics and handler policies;
// RegisterKind adds a transport kind, whose KindSpec names and decodes its settings. The
// settings themselves are documented in config/topology.schema.json.
package topology
