// Package observability assembles the metrics, tracing, delivery log and health of a
// millrace service, so every binary exposes the same /metrics, /healthz and /readyz and
// traces the same way. ProviderSet gives wire the *Observability and the observed
// *bus.Bus; its methods work in any order.
package observability
