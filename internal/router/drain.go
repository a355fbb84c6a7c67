package router

import (
	"context"
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
)

// drainingSubscriber lets the messages a router is handling finish when it shuts down.
//
// Watermill's router cancels the context it subscribed with as soon as it starts
// closing, and then waits for its handlers. Subscribers take that cancellation as the
// end of every message they delivered: the Redis Streams subscriber, for one, stops
// waiting for the ack, so a message whose handler then finishes is never acked and is
// delivered again (a second email after a restart), and the message's own context is
// cancelled under the handler.
//
// The router wraps every subscriber it creates in a drainingSubscriber. The context
// given to Subscribe only stops the delivery of new messages, closing the channel the
// router reads; the messages already delivered keep a live context and their ack or
// nack reaches the broker. A message received but not yet delivered when the context
// ends is nacked, so the broker delivers it again later. Close ends everything: it
// closes the wrapped subscriber and then cancels the contexts of the messages still
// held, so a handler that outlives the router's close timeout is cancelled there.
type drainingSubscriber struct {
	inner  message.Subscriber
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var (
	_ message.Subscriber           = (*drainingSubscriber)(nil)
	_ message.SubscribeInitializer = (*drainingSubscriber)(nil)
)

// newDrainingSubscriber wraps inner.
func newDrainingSubscriber(inner message.Subscriber) *drainingSubscriber {
	ctx, cancel := context.WithCancel(context.Background())
	return &drainingSubscriber{inner: inner, ctx: ctx, cancel: cancel}
}

// Subscribe subscribes inner with a context that ends only at Close, and delivers its
// messages on the returned channel until ctx is done. Then the channel is closed and a
// message received but not delivered is nacked.
func (s *drainingSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
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
func (s *drainingSubscriber) SubscribeInitialize(topic string) error {
	if init, ok := s.inner.(message.SubscribeInitializer); ok {
		return init.SubscribeInitialize(topic)
	}
	return nil
}

// Close closes inner, whose messages in flight have been acked or nacked by then when
// the router closed first, and then cancels the context of every message still held.
func (s *drainingSubscriber) Close() error {
	err := s.inner.Close()
	s.cancel()
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("close subscriber: %w", err)
	}
	return nil
}
