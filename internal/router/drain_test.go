package router

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
)

// TestMessageInFlightOutlivesSubscribeContext receives a message, cancels the context
// of Subscribe as a closing router does, and checks that the channel closes, that the
// message's context stays alive and its ack reaches the broker, and that Close
// cancels what is still held.
func TestMessageInFlightOutlivesSubscribeContext(t *testing.T) {
	pubsub := gochannel.NewGoChannel(gochannel.Config{}, watermill.NopLogger{})
	t.Cleanup(func() { _ = pubsub.Close() })
	sub := newDrainingSubscriber(pubsub)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := sub.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	published := make(chan error, 1)
	go func() {
		// gochannel's Publish returns once the message was acked (or nacked).
		published <- pubsub.Publish("t", message.NewMessage("1", []byte("a")))
	}()
	var msg *message.Message
	select {
	case msg = <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("a second message after the context ended")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("channel not closed after the context ended")
	}
	if err := msg.Context().Err(); err != nil {
		t.Fatalf("message context ended with the subscribe context: %v", err)
	}
	msg.Ack()
	select {
	case err := <-published:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ack did not reach the broker")
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if msg.Context().Err() == nil {
		t.Error("message context alive after Close")
	}
}

// fakeSubscriber delivers what the test sends on in.
type fakeSubscriber struct{ in chan *message.Message }

func (f fakeSubscriber) Subscribe(context.Context, string) (<-chan *message.Message, error) {
	return f.in, nil
}

func (f fakeSubscriber) Close() error { close(f.in); return nil }

// TestUndeliveredMessageIsNacked ends the subscribe context while a received message
// waits to be delivered: it is nacked, so the broker delivers it again.
func TestUndeliveredMessageIsNacked(t *testing.T) {
	in := make(chan *message.Message)
	sub := newDrainingSubscriber(fakeSubscriber{in: in})
	ctx, cancel := context.WithCancel(context.Background())
	out, err := sub.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	msg := message.NewMessage("1", []byte("a"))
	in <- msg // taken by the subscriber, which waits to deliver it
	cancel()
	for range out {
		t.Error("a message was delivered after the context ended")
	}
	select {
	case <-msg.Nacked():
	default:
		t.Error("the undelivered message was not nacked")
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
}
