package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/topology"
)

// AttemptsKey is the metadata key holding how many times the current delivery of a
// message has been tried; a poisoned message carries the final count.
const AttemptsKey = "attempts"

// PoisonedAtKey is the metadata key holding when a message was poisoned, in RFC 3339
// with nanoseconds, UTC. It dates a poisoned copy on every transport, including those
// whose store keeps no time of its own (RabbitMQ).
const PoisonedAtKey = "poisoned_at"

// correlate makes sure msg has a correlation id (a new one when it arrived without) and
// puts it and the message id, as causation, into the message context.
func correlate(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		if event.CorrelationID(msg) == "" {
			msg.Metadata.Set(metadata.KeyCorrelationID, correlation.New())
		}
		msg.SetContext(event.ContextFor(msg))
		return h(msg)
	}
}

// resetAttempts starts the attempt count of a delivery at zero, so a message replayed
// from a poison topic is counted afresh.
func resetAttempts(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		delete(msg.Metadata, AttemptsKey)
		return h(msg)
	}
}

// countAttempt increments the attempt count; it runs inside retry, once per attempt.
func countAttempt(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		n := 0
		if v := msg.Metadata.Get(AttemptsKey); v != "" {
			n, _ = strconv.Atoi(v)
		}
		msg.Metadata.Set(AttemptsKey, strconv.Itoa(n+1))
		return h(msg)
	}
}

// poisonWorthy reports whether an error that left retry sends the message to the
// poison queue. Every error does, except a cancellation: the router is shutting down
// mid-delivery, and the message is nacked to be delivered again.
func poisonWorthy(err error) bool {
	return !errors.Is(err, context.Canceled)
}

// poisonMiddleware returns Watermill's poison queue middleware publishing to topic
// through pub. Poisoned messages name reg's handler (the topology handler, not the
// per-topic registration) and consumer group, and are logged to logger, which names
// the handler already.
func poisonMiddleware(pub message.Publisher, reg Registration, logger *slog.Logger) (message.HandlerMiddleware, error) {
	p := &poisonPublisher{next: pub, handler: reg.Handler, group: reg.Group, logger: logger}
	m, err := middleware.PoisonQueueWithFilter(p, reg.PoisonTopic, poisonWorthy)
	if err != nil {
		return nil, fmt.Errorf("poison queue of handler %s: %w", reg.Handler, err)
	}
	return m, nil
}

// poisonPublisher publishes poisoned messages for one handler.
type poisonPublisher struct {
	next    message.Publisher
	handler string
	// group is the consumer group the message was received in, which Watermill's
	// subscriber_poisoned would otherwise name by the subscriber's Go type.
	group  string
	logger *slog.Logger
}

func (p *poisonPublisher) Publish(topic string, msgs ...*message.Message) error {
	for _, msg := range msgs {
		msg.Metadata.Set(middleware.PoisonedHandlerKey, p.handler)
		msg.Metadata.Set(middleware.PoisonedSubscriberKey, p.group)
		msg.Metadata.Set(PoisonedAtKey, time.Now().UTC().Format(time.RFC3339Nano))
		// The handler's context may be cancelled (timeout) or done; publishing the
		// poisoned copy must not fail because of it.
		ctx := context.WithoutCancel(msg.Context())
		msg.SetContext(ctx)
		p.logger.WarnContext(ctx, "message poisoned",
			"message_uuid", msg.UUID,
			"topic", msg.Metadata.Get(middleware.PoisonedTopicKey),
			"poison_topic", topic,
			"attempts", msg.Metadata.Get(AttemptsKey),
			"reason", msg.Metadata.Get(middleware.ReasonForPoisonedKey),
		)
	}
	if err := p.next.Publish(topic, msgs...); err != nil {
		return fmt.Errorf("publish to poison topic %s: %w", topic, err)
	}
	return nil
}

// Close does nothing: the wrapped publisher belongs to the bus.
func (p *poisonPublisher) Close() error { return nil }

// chain returns the middleware of registration reg, outermost first.
func chain(h *topology.Handler, reg Registration, pub message.Publisher, instruments []Instrument, logger *slog.Logger) ([]message.HandlerMiddleware, error) {
	ms := []message.HandlerMiddleware{middleware.CorrelationID, correlate}
	if len(instruments) > 0 {
		ms = append(ms, observeDelivery(reg, instruments))
	}
	if h.Filter != nil {
		ms = append(ms, filter(h.Filter))
	}
	if reg.PoisonTopic != "" {
		pm, err := poisonMiddleware(pub, reg, logger)
		if err != nil {
			return nil, err
		}
		ms = append(ms, pm)
	}
	ms = append(ms,
		resetAttempts,
		retry{policy: h.Policy.Retry, logger: logger}.middleware,
		countAttempt,
	)
	if len(instruments) > 0 {
		ms = append(ms, observeAttempt(reg, instruments))
	}
	ms = append(ms, middleware.Recoverer)
	if h.Policy.Timeout > 0 {
		ms = append(ms, timeout(h.Policy.Timeout))
	}
	return ms, nil
}
