package tracing

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/router"
)

// Attribute keys of millrace spans, besides the OpenTelemetry messaging ones.
const (
	AttrHandler       = attribute.Key("millrace.handler")
	AttrAttempt       = attribute.Key("millrace.attempt")
	AttrMaxAttempts   = attribute.Key("millrace.max_attempts")
	AttrOutcome       = attribute.Key("millrace.outcome")
	AttrCorrelationID = attribute.Key("millrace.correlation_id")
	AttrPoisonTopic   = attribute.Key("millrace.poison_topic")
)

// Span events recorded on handler attempt spans.
const (
	EventRetry    = "retry"
	EventPoisoned = "poisoned"
	EventNacked   = "nacked"
)

var _ router.Instrument = (*Tracing)(nil)

// carrier adapts message metadata to the propagator.
func carrier(msg *message.Message) propagation.MapCarrier {
	if msg.Metadata == nil {
		msg.Metadata = message.Metadata{}
	}
	return propagation.MapCarrier(msg.Metadata)
}

// Inject writes the trace context of ctx into msg's metadata (traceparent, tracestate,
// baggage).
func (t *Tracing) Inject(ctx context.Context, msg *message.Message) {
	t.propagator.Inject(ctx, carrier(msg))
}

// Extract returns ctx carrying the trace context of msg's metadata, if any.
func (t *Tracing) Extract(ctx context.Context, msg *message.Message) context.Context {
	return t.propagator.Extract(ctx, carrier(msg))
}

// DecoratePublisher wraps pub so that every message published gets a producer span,
// whose context is injected into the message's metadata. The span's parent is the span
// of the message's context, or else the trace context the message already carries (a
// message relayed from an outbox or replayed from a poison topic). Its signature is
// message.PublisherDecorator.
func (t *Tracing) DecoratePublisher(pub message.Publisher) (message.Publisher, error) {
	return publisher{next: pub, t: t}, nil
}

// publisher traces the publishes of next.
type publisher struct {
	next message.Publisher
	t    *Tracing
}

func (p publisher) Publish(topic string, msgs ...*message.Message) error {
	spans := make([]trace.Span, len(msgs))
	for i, msg := range msgs {
		parent := msg.Context()
		if !trace.SpanContextFromContext(parent).IsValid() {
			parent = p.t.Extract(parent, msg)
		}
		ctx, span := p.t.tracer.Start(parent, "publish "+topic,
			trace.WithSpanKind(trace.SpanKindProducer),
			trace.WithAttributes(
				attribute.String("messaging.system", "millrace"),
				attribute.String("messaging.operation.type", "send"),
				attribute.String("messaging.destination.name", topic),
				attribute.String("messaging.message.id", msg.UUID),
				AttrCorrelationID.String(event.CorrelationID(msg)),
			))
		p.t.Inject(ctx, msg)
		spans[i] = span
	}
	err := p.next.Publish(topic, msgs...)
	for _, span := range spans {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
	return err
}

func (p publisher) Close() error { return p.next.Close() }

// StartDelivery does nothing: a delivery is traced by its attempts.
func (t *Tracing) StartDelivery(ctx context.Context, _ router.Registration, _ *message.Message) (context.Context, func(router.Outcome)) {
	return ctx, func(router.Outcome) {}
}

// StartAttempt starts a consumer span for the attempt, child of the trace context the
// message carries; the handler runs in it, so what it publishes continues the trace.
// A failed attempt records its error, an error status and an event saying what
// follows: retry, poisoned or nacked.
func (t *Tracing) StartAttempt(ctx context.Context, reg router.Registration, msg *message.Message, attempt int) (context.Context, func(router.Outcome, error)) {
	ctx, span := t.tracer.Start(t.Extract(ctx, msg), "process "+reg.Topic,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "millrace"),
			attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.destination.name", reg.Topic),
			attribute.String("messaging.consumer.group.name", reg.Group),
			attribute.String("messaging.message.id", msg.UUID),
			AttrHandler.String(reg.Handler),
			AttrAttempt.Int(attempt),
			AttrMaxAttempts.Int(reg.MaxAttempts),
			AttrCorrelationID.String(event.CorrelationID(msg)),
		))
	return ctx, func(o router.Outcome, err error) {
		defer span.End()
		span.SetAttributes(AttrOutcome.String(string(o)))
		if o == router.OutcomeOK {
			return
		}
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		switch o {
		case router.OutcomeRetry:
			span.AddEvent(EventRetry, trace.WithAttributes(AttrAttempt.Int(attempt), AttrMaxAttempts.Int(reg.MaxAttempts)))
		case router.OutcomePoison:
			span.AddEvent(EventPoisoned, trace.WithAttributes(AttrPoisonTopic.String(reg.PoisonTopic),
				attribute.String("reason", errText(err)), AttrAttempt.Int(attempt)))
		case router.OutcomeNack:
			span.AddEvent(EventNacked, trace.WithAttributes(attribute.String("reason", errText(err)), AttrAttempt.Int(attempt)))
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
