package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/internal/transport/memory"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

// memSubscribe subscribes instance of group (shared delivery) to topic on the in-memory
// transport tr.
func memSubscribe(t *testing.T, ctx context.Context, tr transport.Transport, group, instance, topic string) <-chan *message.Message {
	t.Helper()
	sub, err := tr.NewSubscriber(transport.SubscriberOptions{Group: group, Delivery: topology.Shared, Instance: instance})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// twoGroups returns an in-memory publisher and the subscriptions of groups a and b to a
// new topic.
func twoGroups(t *testing.T, ctx context.Context) (pub message.Publisher, topic string, a, b <-chan *message.Message) {
	t.Helper()
	tr := memory.New("mem", nil)
	t.Cleanup(func() { _ = tr.Close() })
	topic = transporttest.Topic("mem")
	a, b = memSubscribe(t, ctx, tr, "a", "i", topic), memSubscribe(t, ctx, tr, "b", "i", topic)
	pub, err := tr.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	return pub, topic, a, b
}

// next returns the next message of ch.
func next(t *testing.T, ctx context.Context, ch <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case msg := <-ch:
		return msg
	case <-ctx.Done():
		t.Fatal("no message delivered")
		return nil
	}
}

// TestMemoryDeliversCopies checks that the in-memory transport hands a consumer a copy:
// what the publisher does to its message after Publish, and what one group's consumer
// does to its delivery, reaches nobody else, and a redelivery after a nack is the message
// as published.
func TestMemoryDeliversCopies(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pub, topic, a, b := twoGroups(t, ctx)

	msg := message.NewMessage("m1", []byte(`{"n":1}`))
	msg.Metadata.Set("k", "published")
	if err := pub.Publish(topic, msg); err != nil {
		t.Fatal(err)
	}
	msg.Metadata.Set("k", "changed by the publisher")

	gotA := next(t, ctx, a)
	if gotA == msg {
		t.Fatal("group a got the publisher's own message")
	}
	gotA.Metadata.Set("k", "changed by a")
	gotA.Nack()
	gotB := next(t, ctx, b)
	if v := gotB.Metadata.Get("k"); v != "published" {
		t.Errorf("group b got k=%q, want %q", v, "published")
	}
	gotB.Ack()
	again := next(t, ctx, a)
	if again.UUID != "m1" || again.Metadata.Get("k") != "published" || string(again.Payload) != `{"n":1}` {
		t.Errorf("redelivery = %s k=%q %s, want m1 k=%q {\"n\":1}", again.UUID, again.Metadata.Get("k"), again.Payload, "published")
	}
	again.Ack()
}

// TestMemoryHandsOffReleasedMessages checks that a message its publisher released
// (metadata.Release) is delivered as it is to one queue, once: the other queue gets a copy
// of it as published, and a redelivery after a nack is the message as published, not as
// the consumer left it.
func TestMemoryHandsOffReleasedMessages(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pub, topic, a, b := twoGroups(t, ctx)

	msg := message.NewMessage("m1", []byte(`{"n":1}`))
	msg.Metadata.Set("k", "published")
	metadata.Release(msg)
	if err := pub.Publish(topic, msg); err != nil {
		t.Fatal(err)
	}

	first, second := next(t, ctx, a), next(t, ctx, b)
	handedOff, other := first, second
	if second == msg {
		handedOff, other = second, first
	}
	if handedOff != msg {
		t.Fatal("neither group got the released message itself")
	}
	if other == msg || other.UUID != "m1" || other.Metadata.Get("k") != "published" {
		t.Fatalf("the other group got %s k=%q (the same message: %v), want a copy of m1 with k=%q",
			other.UUID, other.Metadata.Get("k"), other == msg, "published")
	}
	if metadata.Released(other) || metadata.Released(handedOff) {
		t.Error("a delivery still carries the publisher's context")
	}
	handedOff.Metadata.Set("k", "changed by the consumer")
	handedOff.Metadata.Set("extra", "x")
	handedOff.Nack()
	other.Ack()

	again := first
	if handedOff == second {
		again = next(t, ctx, b)
	} else {
		again = next(t, ctx, a)
	}
	if again == msg {
		t.Fatal("the redelivery is the message the consumer nacked")
	}
	if again.UUID != "m1" || again.Metadata.Get("k") != "published" || again.Metadata.Get("extra") != "" || string(again.Payload) != `{"n":1}` {
		t.Errorf("redelivery = %s %v %s, want m1 with only k=%q and {\"n\":1}", again.UUID, again.Metadata, again.Payload, "published")
	}
	again.Ack()
}

// TestMemoryGroupMembersCompete checks that the in-memory transport shares a group's
// messages among its subscribers: while one member holds a message unacked, the next
// message goes to the other member.
func TestMemoryGroupMembersCompete(t *testing.T) {
	tr := memory.New("mem", nil)
	t.Cleanup(func() { _ = tr.Close() })
	topic := transporttest.Topic("compete")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := memSubscribe(t, ctx, tr, "g", "a", topic), memSubscribe(t, ctx, tr, "g", "b", topic)
	pub, err := tr.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	for _, id := range []string{"first", "second"} {
		if err := pub.Publish(topic, message.NewMessage(id, nil)); err != nil {
			t.Fatal(err)
		}
	}
	var held []*message.Message
	for len(held) < 2 {
		select {
		case msg := <-a:
			held = append(held, msg)
		case msg := <-b:
			held = append(held, msg)
		case <-ctx.Done():
			t.Fatalf("with one member holding %d message(s) unacked, the other got nothing", len(held))
		}
	}
	if held[0].UUID == held[1].UUID {
		t.Fatalf("message %s delivered twice within one group", held[0].UUID)
	}
	for _, msg := range held {
		msg.Ack()
	}
}
