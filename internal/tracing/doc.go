// Package tracing traces millrace messages with OpenTelemetry: a producer span per
// publish, a consumer span per handler attempt, a server span per HTTP request, and the
// W3C trace context carried in message metadata across every transport.
//
// New reads the standard OTEL_* variables and is a no-op, still passing the trace
// context on, unless an OTLP endpoint is set. Tracing decorates the bus's publishers,
// is a router.Instrument, and wraps the HTTP handler with HTTPMiddleware.
package tracing
