package router

import (
	"context"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Registration describes one handler registration: a topology handler consuming one
// concrete topic. Instruments label what they record with it.
type Registration struct {
	// Handler is the topology handler's name.
	Handler string
	// Topic is the concrete topic consumed.
	Topic string
	// Group is the consumer group.
	Group string
	// PoisonTopic is where failed messages go; empty when the policy has none.
	PoisonTopic string
	// MaxAttempts is how many attempts a delivery gets at most (at least 1).
	MaxAttempts int
}

// Outcome says how an attempt or a delivery of a message ended.
type Outcome string

// Outcomes of attempts and deliveries.
const (
	// OutcomeOK: the handler succeeded; the message is acked.
	OutcomeOK Outcome = "ok"
	// OutcomeRetry: the attempt failed and the router tries again after a backoff
	// (attempts only).
	OutcomeRetry Outcome = "retry"
	// OutcomePoison: the last attempt failed and the message goes to the poison topic,
	// then is acked.
	OutcomePoison Outcome = "poison"
	// OutcomeFiltered: the handler's filter did not match the message, which is acked
	// without calling the handler (deliveries only).
	OutcomeFiltered Outcome = "filtered"
	// OutcomeNack: the last attempt failed with no poison topic to take the message, the
	// router is stopping, or publishing to the poison topic failed: the message is
	// nacked and delivered again.
	OutcomeNack Outcome = "nack"
)

// Instrument observes the messages a router handles, for metrics or traces. Its
// methods are called concurrently, once per delivery and attempt.
type Instrument interface {
	// StartDelivery is called when a message reaches a registration, after the
	// correlation middleware and before the poison queue and retries. The delivery
	// runs with the returned context; end is called once with its outcome (ok,
	// filtered, poison or nack).
	StartDelivery(ctx context.Context, reg Registration, msg *message.Message) (context.Context, func(Outcome))
	// StartAttempt is called before each attempt, numbered from 1. The attempt runs
	// with the returned context; end is called once with its outcome and error (nil
	// when the outcome is OutcomeOK).
	StartAttempt(ctx context.Context, reg Registration, msg *message.Message, attempt int) (context.Context, func(Outcome, error))
}

// WatermillInstrument is an Instrument that also decorates the underlying Watermill
// router, for example with Watermill's own Prometheus metrics. New calls
// InstrumentWatermill before it adds any handler, so router-level middleware it adds
// is outermost.
type WatermillInstrument interface {
	Instrument
	InstrumentWatermill(r *message.Router) error
}

// deliveryKey is the context key of the state of a delivery.
type deliveryKey struct{}

// delivery records the outcome of the last attempt of a delivery, or that the
// handler's filter passed the message by.
type delivery struct {
	last     Outcome
	filtered bool
}

// observeDelivery starts the instruments' deliveries around the poison queue and
// retries, and ends them with the delivery's outcome.
func observeDelivery(reg Registration, instruments []Instrument) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			st := &delivery{}
			ctx := context.WithValue(msg.Context(), deliveryKey{}, st)
			ends := make([]func(Outcome), len(instruments))
			for i, in := range instruments {
				ctx, ends[i] = in.StartDelivery(ctx, reg, msg)
			}
			msg.SetContext(ctx)
			msgs, err := h(msg)
			outcome := OutcomeOK
			switch {
			case err != nil:
				outcome = OutcomeNack
			case st.filtered:
				outcome = OutcomeFiltered
			case st.last != "" && st.last != OutcomeOK:
				// The poison queue took the failed message and acked it.
				outcome = OutcomePoison
			}
			for i := len(ends) - 1; i >= 0; i-- {
				ends[i](outcome)
			}
			return msgs, err
		}
	}
}

// observeAttempt starts the instruments' attempts inside retry and ends them with the
// attempt's outcome, which it also records for the delivery.
func observeAttempt(reg Registration, instruments []Instrument) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			retryCtx := msg.Context()
			attempt, _ := strconv.Atoi(msg.Metadata.Get(AttemptsKey))
			ctx := retryCtx
			ends := make([]func(Outcome, error), len(instruments))
			for i, in := range instruments {
				ctx, ends[i] = in.StartAttempt(ctx, reg, msg, attempt)
			}
			msg.SetContext(ctx)
			msgs, err := h(msg)
			outcome := attemptOutcome(reg, attempt, err, retryCtx)
			if st, ok := retryCtx.Value(deliveryKey{}).(*delivery); ok {
				st.last = outcome
			}
			for i := len(ends) - 1; i >= 0; i-- {
				ends[i](outcome, err)
			}
			return msgs, err
		}
	}
}

// attemptOutcome predicts what the retry and poison middleware do with the result of
// attempt: retryCtx is the context retry runs the attempts with.
func attemptOutcome(reg Registration, attempt int, err error, retryCtx context.Context) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case retryCtx.Err() != nil:
		return OutcomeNack
	case !IsPermanent(err) && attempt < reg.MaxAttempts:
		return OutcomeRetry
	case reg.PoisonTopic != "" && poisonWorthy(err):
		return OutcomePoison
	default:
		return OutcomeNack
	}
}
