package drain

import (
	"context"
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/router"
)

// Subscriber wraps a subscriber so that cancelling the context of Subscribe stops new
// deliveries without ending the messages already delivered (see the package
// documentation). Closing it closes inner.
type Subscriber struct {
	inner  message.Subscriber
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var (
	_ message.Subscriber           = (*Subscriber)(nil)
	_ message.SubscribeInitializer = (*Subscriber)(nil)
	_ router.Bus                   = Bus{}
)

// NewSubscriber wraps inner.
func NewSubscriber(inner message.Subscriber) *Subscriber {
	ctx, cancel := context.WithCancel(context.Background())
	return &Subscriber{inner: inner, ctx: ctx, cancel: cancel}
}

// Subscribe subscribes inner with a context that ends only at Close, and delivers its
// messages on the returned channel until ctx is done. Then the channel is closed and a
// message received but not delivered is nacked.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	in, err := s.inner.Subscribe(s.ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make(chan *message.Message)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		for {
			var msg *message.Message
			select {
			case <-ctx.Done():
				return
			case m, ok := <-in:
				if !ok {
					return
				}
				msg = m
			}
			select {
			case out <- msg:
			case <-ctx.Done():
				msg.Nack()
				return
			}
		}
	}()
	return out, nil
}

// SubscribeInitialize declares topic on inner when inner can.
func (s *Subscriber) SubscribeInitialize(topic string) error {
	if init, ok := s.inner.(message.SubscribeInitializer); ok {
		return init.SubscribeInitialize(topic)
	}
	return nil
}

// Close closes inner, whose messages in flight have been acked or nacked by then when
// the router closed first, and then cancels the context of every message still held.
func (s *Subscriber) Close() error {
	err := s.inner.Close()
	s.cancel()
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("drain: close subscriber: %w", err)
	}
	return nil
}

// Bus wraps a router.Bus so that every subscriber it creates is a Subscriber.
type Bus struct {
	router.Bus
}

// NewSubscriber returns a Subscriber around the wrapped bus's subscriber of group.
func (b Bus) NewSubscriber(group string) (message.Subscriber, error) {
	sub, err := b.Bus.NewSubscriber(group)
	if err != nil {
		return nil, err
	}
	return NewSubscriber(sub), nil
}
