// Package metrics exposes the Prometheus metrics of a millrace service on one registry,
// served by Handler on /metrics: Watermill's components/metrics plus millrace's handler,
// poison, latency and outbox metrics (the millrace_* names in the README).
//
// Metrics is a publisher decorator for the bus (bus.Options) and a router.Instrument
// (router.Config); Outbox gives an outbox relay its decorator and backlog gauge.
package metrics
