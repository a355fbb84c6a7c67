// Package tracing traces millrace messages with OpenTelemetry: a producer span per
// published message, a consumer span per handler attempt, and the W3C trace context
// carried in message metadata (traceparent, tracestate, baggage) across every
// transport.
//
// New reads the standard OTEL_* environment variables. Tracing is off by default: with
// no OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), with
// OTEL_SDK_DISABLED=true or with OTEL_TRACES_EXPORTER=none the provider is a no-op that
// records nothing but still passes on the trace context a message carries. When on,
// spans are batched to the OTLP/HTTP exporter, which reads its endpoint, headers,
// timeout and compression from the environment; the SDK reads OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG) and OTEL_BSP_*.
//
// A service wires it in three places, and shuts it down last:
//
//	tr, err := tracing.New(ctx, tracing.Config{ServiceName: "mailer"})
//	defer tr.Shutdown(context.WithoutCancel(ctx))
//	b, err := bus.Open(topo, bus.Options{PublisherDecorators: []message.PublisherDecorator{m.DecoratePublisher, tr.DecoratePublisher}})
//	r, err := router.New(router.Config{..., Instruments: []router.Instrument{m, tr}})
//	srv := server.Listen(server.HTTPConfig{Handler: tr.HTTPMiddleware(mux), ...})
//
// A publisher that writes to an outbox inside a database transaction is wrapped with
// DecoratePublisher too, before the forwarder envelope, so the trace context is stored
// with the row; the relay's publish then continues that trace (a publish span takes
// its parent from the message's context, or else from the metadata it carries).
//
// Spans:
//
//	publish <topic>  producer  messaging.destination.name, messaging.message.id,
//	                           millrace.correlation_id; error status when the
//	                           publish fails
//	process <topic>  consumer  child of the publish span the message carries;
//	                           millrace.handler, millrace.attempt, millrace.max_attempts,
//	                           millrace.outcome (ok, retry, poison, nack),
//	                           messaging.consumer.group.name. A failed attempt records
//	                           the error, an error status and an event: "retry",
//	                           "poisoned" (with the poison topic and reason) or "nacked".
//	                           What the handler publishes, including the poisoned copy,
//	                           is a child of the attempt.
//	<METHOD> <route> server    HTTPMiddleware, child of the request's traceparent
package tracing
