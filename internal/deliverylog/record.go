package deliverylog

import (
	"context"
	"sync"
	"unicode/utf8"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/router"
)

var (
	_ router.Instrument          = (*Log)(nil)
	_ message.PublisherDecorator = (*Log)(nil).DecoratePublisher
)

// DecoratePublisher wraps pub so that every message it publishes successfully is
// recorded, with the transport the topology maps its topic to. Use it as a
// bus.Options.PublisherDecorators entry.
func (l *Log) DecoratePublisher(pub message.Publisher) (message.Publisher, error) {
	return &publisher{next: pub, log: l}, nil
}

// publisher records the publishes of next.
type publisher struct {
	next message.Publisher
	log  *Log
}

func (p *publisher) Publish(topic string, msgs ...*message.Message) error {
	at := p.log.cfg.Now().UnixNano()
	transport := ""
	if tp, err := p.log.cfg.Topology.Resolve(topic); err == nil {
		transport = tp.Transport
	}
	// The rows are read before publishing: once published, a message may be in a
	// consumer's hands (see metadata.Released).
	rows := make([]row, len(msgs))
	for i, msg := range msgs {
		rows[i] = messageRow(kindPublish, msg, topic, at)
		rows[i].transport = transport
		if st, ok := msg.Context().Value(deliveryKey{}).(*delivery); ok {
			rows[i].handler = st.handler
		}
	}
	if err := p.next.Publish(topic, msgs...); err != nil {
		return err
	}
	for _, r := range rows {
		p.log.add(r)
	}
	return nil
}

func (p *publisher) Close() error { return p.next.Close() }

// messageRow is a row of kind about msg on topic.
func messageRow(kind string, msg *message.Message, topic string, atNanos int64) row {
	return row{
		kind:          kind,
		messageID:     msg.UUID,
		correlationID: event.CorrelationID(msg),
		causationID:   event.CausationID(msg),
		eventType:     event.MessageType(msg),
		topic:         topic,
		atNanos:       atNanos,
	}
}

// deliveryKey is the context key of the delivery a handler runs in.
type deliveryKey struct{}

// delivery is one delivery of a message to a handler: its attempts so far and the
// last attempt's error.
type delivery struct {
	handler string

	mu       sync.Mutex
	attempts int
	lastErr  error
}

// StartDelivery implements router.Instrument: it marks the context so that messages
// the handler publishes name it, and records the delivery's outcome when it ends.
func (l *Log) StartDelivery(ctx context.Context, reg router.Registration, msg *message.Message) (context.Context, func(router.Outcome)) {
	st := &delivery{handler: reg.Handler}
	return context.WithValue(ctx, deliveryKey{}, st), func(o router.Outcome) {
		r := messageRow(kindOutcome, msg, reg.Topic, l.cfg.Now().UnixNano())
		r.handler = reg.Handler
		r.outcome = result(o)
		st.mu.Lock()
		r.attempts = st.attempts
		if o != router.OutcomeOK && st.lastErr != nil {
			r.reason = truncate(st.lastErr.Error(), maxReason)
		}
		st.mu.Unlock()
		l.add(r)
	}
}

// StartAttempt implements router.Instrument: it counts the attempts of the delivery
// and keeps the last error as the reason of a failed one.
func (l *Log) StartAttempt(ctx context.Context, _ router.Registration, _ *message.Message, attempt int) (context.Context, func(router.Outcome, error)) {
	st, _ := ctx.Value(deliveryKey{}).(*delivery)
	return ctx, func(_ router.Outcome, err error) {
		if st == nil {
			return
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		st.attempts = max(st.attempts, attempt)
		st.lastErr = err
	}
}

// result maps a router outcome to the stored result.
func result(o router.Outcome) string {
	switch o {
	case router.OutcomeOK:
		return ResultOK
	case router.OutcomePoison:
		return ResultPoisoned
	case router.OutcomeFiltered:
		return ResultFiltered
	default:
		return ResultNacked
	}
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
