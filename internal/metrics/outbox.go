package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
)

// Outbox records the metrics of one transactional outbox: its backlog and how long
// messages wait in it before the relay publishes them.
type Outbox struct {
	now      func() time.Time
	backlog  prometheus.Gauge
	lag      prometheus.Observer
	relayed  prometheus.Counter
	failures prometheus.Counter
}

// Outbox returns the metrics of the outbox named name (the label value, e.g. the
// outbox's transport or table).
func (m *Metrics) Outbox(name string) *Outbox {
	return &Outbox{
		now:      m.now,
		backlog:  m.outboxBacklog.WithLabelValues(name),
		lag:      m.outboxLag.WithLabelValues(name),
		relayed:  m.outboxRelayed.WithLabelValues(name),
		failures: m.outboxFailures.WithLabelValues(name),
	}
}

// SetBacklog records how many messages wait in the outbox.
func (o *Outbox) SetBacklog(n int) { o.backlog.Set(float64(n)) }

// Relayed records that msg left the outbox now: it counts it and observes the time
// since its ce_time (messages without one are only counted).
func (o *Outbox) Relayed(msg *message.Message) {
	o.relayed.Inc()
	if t, ok := eventTime(msg); ok {
		o.lag.Observe(o.now().Sub(t).Seconds())
	}
}

// DecoratePublisher wraps the publisher the relay publishes to, calling Relayed for
// every message it publishes and counting failed publishes. Its signature is
// message.PublisherDecorator.
func (o *Outbox) DecoratePublisher(pub message.Publisher) (message.Publisher, error) {
	if pub == nil {
		return nil, fmt.Errorf("metrics: outbox: nil publisher")
	}
	return relayPublisher{next: pub, outbox: o}, nil
}

// relayPublisher observes the messages an outbox relay publishes.
type relayPublisher struct {
	next   message.Publisher
	outbox *Outbox
}

func (p relayPublisher) Publish(topic string, msgs ...*message.Message) error {
	if err := p.next.Publish(topic, msgs...); err != nil {
		p.outbox.failures.Inc()
		return err
	}
	for _, msg := range msgs {
		p.outbox.Relayed(msg)
	}
	return nil
}

func (p relayPublisher) Close() error { return p.next.Close() }

// WatchBacklog sets the backlog from count every interval until ctx is done; it
// returns nil then. A failed count leaves the last value and is reported to onError
// (if not nil). It suits server.Run as a runner.
func (o *Outbox) WatchBacklog(ctx context.Context, interval time.Duration, count func(context.Context) (int, error), onError func(error)) error {
	if interval <= 0 {
		return fmt.Errorf("metrics: outbox backlog interval %s is not positive", interval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := count(ctx)
		switch {
		case err == nil:
			o.SetBacklog(n)
		case onError != nil && ctx.Err() == nil:
			onError(fmt.Errorf("count outbox backlog: %w", err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
