package poison

import (
	"context"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// amqpStore browses the queue each poison topic keeps for router.PoisonStoreGroup.
type amqpStore struct {
	url string

	mu   sync.Mutex
	conn *amqp.Connection
}

var _ Store = (*amqpStore)(nil)

func openAMQP(cfg *topology.AMQPConfig) (*amqpStore, error) {
	if cfg == nil {
		return nil, fmt.Errorf("missing amqp config")
	}
	return &amqpStore{url: cfg.URL.Reveal()}, nil
}

// queue is the queue that keeps the poisoned messages of topic, named like the amqp
// transport names a shared group's queue.
func queue(topic string) string { return topic + "." + router.PoisonStoreGroup }

// connection dials on first use and redials after the broker closed the connection.
func (s *amqpStore) connection() (*amqp.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil && !s.conn.IsClosed() {
		return s.conn, nil
	}
	conn, err := amqp.Dial(s.url)
	if err != nil {
		return nil, fmt.Errorf("connect to RabbitMQ: %w", err)
	}
	s.conn = conn
	return conn, nil
}

// browse takes every message of topic's queue without acknowledging it, calls keep for
// each, acknowledges those for which keep returns true and then closes the channel, so
// RabbitMQ requeues the others at their place (marked redelivered). A queue that does
// not exist holds nothing.
func (s *amqpStore) browse(ctx context.Context, topic string, visit func(Entry) (remove bool)) error {
	conn, err := s.connection()
	if err != nil {
		return err
	}
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close() // requeues every message not acknowledged
	q := queue(topic)
	var codec transport.AMQPMarshaler
	for ctx.Err() == nil {
		d, ok, err := ch.Get(q, false)
		if err != nil {
			var ae *amqp.Error
			if errors.As(err, &ae) && ae.Code == amqp.NotFound {
				return nil
			}
			return fmt.Errorf("browse queue %s: %w", q, err)
		}
		if !ok {
			return nil
		}
		msg, err := codec.Unmarshal(d)
		if err != nil {
			return fmt.Errorf("queue %s: %w", q, err)
		}
		e := Entry{PoisonTopic: topic, Ref: msg.UUID, Message: msg, StoredAt: d.Timestamp}
		if visit(e) {
			if err := d.Ack(false); err != nil {
				return fmt.Errorf("remove from queue %s: %w", q, err)
			}
		}
	}
	return ctx.Err()
}

func (s *amqpStore) List(ctx context.Context, topic string) ([]Entry, error) {
	var out []Entry
	err := s.browse(ctx, topic, func(e Entry) bool {
		out = append(out, e)
		return false
	})
	return out, err
}

func (s *amqpStore) Get(ctx context.Context, topic, id string) ([]Entry, error) {
	return get(ctx, s, topic, id)
}

// Remove acknowledges one message per ref (a message UUID).
func (s *amqpStore) Remove(ctx context.Context, topic string, refs ...string) error {
	left := map[string]int{}
	for _, r := range refs {
		left[r]++
	}
	if len(left) == 0 {
		return nil
	}
	return s.browse(ctx, topic, func(e Entry) bool {
		if left[e.Ref] > 0 {
			left[e.Ref]--
			return true
		}
		return false
	})
}

// Purge uses queue.purge, which removes the ready messages of the queue.
func (s *amqpStore) Purge(ctx context.Context, topic string) (int, error) {
	conn, err := s.connection()
	if err != nil {
		return 0, err
	}
	ch, err := conn.Channel()
	if err != nil {
		return 0, fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	n, err := ch.QueuePurge(queue(topic), false)
	if err != nil {
		var ae *amqp.Error
		if errors.As(err, &ae) && ae.Code == amqp.NotFound {
			return 0, nil
		}
		return 0, fmt.Errorf("purge queue %s: %w", queue(topic), err)
	}
	return n, nil
}

func (s *amqpStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil || s.conn.IsClosed() {
		return nil
	}
	return s.conn.Close()
}
