package outbox

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
)

// The relay's watermill-sql subscriber hands the forwarder one outbox row at a time and
// waits for its ack before the next; the forwarder acks a row once the bus accepted its
// event. Publishing to a broker with confirms then costs a round trip per event, and
// the relay cannot go faster than one confirm after the other (about 4,500 events/s to a
// local RabbitMQ, half that when the same machine also commits).
//
// The pipeline lets the forwarder ack a row as soon as its event is on its way: up to
// InFlight publishes run at once. Nothing is lost, because the subscriber advances the
// group's offset once per batch of rows, in the same transaction that locked them, with
// the query the offsets adapter returns; gate, the relay's offsets adapter, waits there
// for every publish of the batch. If all succeeded, the offset moves past the batch as
// before. If one failed, the offset stays where it was, the failure is logged, and the
// whole batch is relayed again after a pause: events already accepted arrive twice,
// which the outbox allows (consumers deduplicate by message id). After a failure, the
// rest of the batch is not published at all.

// pipeline publishes the relay's messages through out, up to cap(slots) at once.
type pipeline struct {
	out   message.Publisher
	slots chan struct{}
	wg    sync.WaitGroup

	mu     sync.Mutex
	failed error // the first publish that failed since the last wait
}

func newPipeline(out message.Publisher, inFlight int) *pipeline {
	return &pipeline{out: out, slots: make(chan struct{}, max(inFlight, 1))}
}

// Publish starts publishing msgs and returns; wait reports how it went. Once a publish
// of the batch failed, it publishes nothing more until wait.
func (p *pipeline) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	failed := p.failed != nil
	p.mu.Unlock()
	if failed {
		return nil
	}
	// The message's context comes from the outbox row's delivery, which ends when the
	// forwarder acks the row: right after this returns.
	for _, m := range msgs {
		m.SetContext(context.WithoutCancel(m.Context()))
	}
	p.slots <- struct{}{}
	p.wg.Add(1)
	go func() {
		defer func() {
			<-p.slots
			p.wg.Done()
		}()
		if err := p.out.Publish(topic, msgs...); err != nil {
			p.mu.Lock()
			if p.failed == nil {
				p.failed = fmt.Errorf("relay to %s: %w", topic, err)
			}
			p.mu.Unlock()
		}
	}()
	return nil
}

// wait waits for every publish started and returns the first failure since the
// previous wait, clearing it.
func (p *pipeline) wait() error {
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.failed
	p.failed = nil
	return err
}

// Close waits for the publishes in flight; out belongs to the bus and stays open.
func (p *pipeline) Close() error {
	p.wg.Wait()
	return nil
}

// noAck is the query gate returns instead of advancing the offset: it changes nothing
// on every dialect.
var noAck = wsql.Query{Query: "SELECT 1"}

// gate is the relay's offsets adapter: the dialect's own, whose ack query is only
// returned once every publish of the batch has succeeded.
type gate struct {
	wsql.OffsetsAdapter
	pipeline *pipeline
	logger   watermill.LoggerAdapter
	// pause is how long a failed batch waits before the subscriber reads it again.
	pause time.Duration
}

// AckMessageQuery waits for the batch's publishes; it returns the ack query of row, the
// batch's last acked row, when they all succeeded, and noAck otherwise.
func (g gate) AckMessageQuery(topic string, row wsql.Row, consumerGroup string) wsql.Query {
	if err := g.pipeline.wait(); err != nil {
		g.logger.Error("Outbox batch not relayed, retrying it", err, watermill.LogFields{
			"topic": topic, "last_offset": row.Offset, "retry_in": g.pause.String(),
		})
		time.Sleep(g.pause)
		return noAck
	}
	return g.OffsetsAdapter.AckMessageQuery(topic, row, consumerGroup)
}
