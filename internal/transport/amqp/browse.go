package amqp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// browser reads the queue a consumer group keeps for each topic, as the subscriber of
// a shared group names it.
type browser struct {
	url   string
	group string

	mu   sync.Mutex
	conn *amqp091.Connection
}

var _ transport.Browser = (*browser)(nil)

func openBrowser(cfg *topology.Transport, group string) (transport.Browser, error) {
	c, err := settingsOf(cfg)
	if err != nil {
		return nil, err
	}
	return &browser{url: c.URL.Reveal(), group: group}, nil
}

// queue is the queue that keeps the messages of topic for the browser's group.
func (s *browser) queue(topic string) string {
	return queueName(topic, transport.SubscriberOptions{Group: s.group})
}

// connection dials on first use and redials after the broker closed the connection.
func (s *browser) connection() (*amqp091.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil && !s.conn.IsClosed() {
		return s.conn, nil
	}
	conn, err := amqp091.Dial(s.url)
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
func (s *browser) browse(ctx context.Context, topic string, visit func(transport.Stored) (remove bool)) error {
	conn, err := s.connection()
	if err != nil {
		return err
	}
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close() // requeues every message not acknowledged
	q := s.queue(topic)
	var codec Marshaler
	for ctx.Err() == nil {
		d, ok, err := ch.Get(q, false)
		if err != nil {
			var ae *amqp091.Error
			if errors.As(err, &ae) && ae.Code == amqp091.NotFound {
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
		e := transport.Stored{Ref: msg.UUID, Message: msg, StoredAt: d.Timestamp}
		if visit(e) {
			if err := d.Ack(false); err != nil {
				return fmt.Errorf("remove from queue %s: %w", q, err)
			}
		}
	}
	return ctx.Err()
}

func (s *browser) List(ctx context.Context, topic string) ([]transport.Stored, error) {
	var out []transport.Stored
	err := s.browse(ctx, topic, func(e transport.Stored) bool {
		out = append(out, e)
		return false
	})
	return out, err
}

func (s *browser) Get(ctx context.Context, topic, id string) ([]transport.Stored, error) {
	return transport.GetByID(ctx, s, topic, id)
}

// Remove acknowledges one message per ref (a message UUID).
func (s *browser) Remove(ctx context.Context, topic string, refs ...string) error {
	left := map[string]int{}
	for _, r := range refs {
		left[r]++
	}
	if len(left) == 0 {
		return nil
	}
	return s.browse(ctx, topic, func(e transport.Stored) bool {
		if left[e.Ref] > 0 {
			left[e.Ref]--
			return true
		}
		return false
	})
}

// Purge uses queue.purge, which removes the ready messages of the queue.
func (s *browser) Purge(ctx context.Context, topic string) (int, error) {
	conn, err := s.connection()
	if err != nil {
		return 0, err
	}
	ch, err := conn.Channel()
	if err != nil {
		return 0, fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	n, err := ch.QueuePurge(s.queue(topic), false)
	if err != nil {
		var ae *amqp091.Error
		if errors.As(err, &ae) && ae.Code == amqp091.NotFound {
			return 0, nil
		}
		return 0, fmt.Errorf("purge queue %s: %w", s.queue(topic), err)
	}
	return n, nil
}

func (s *browser) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil || s.conn.IsClosed() {
		return nil
	}
	return s.conn.Close()
}
