package redisstream_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/redis/go-redis/v9"

	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

// TestRedisClaimsMessagesOfAGoneConsumer checks that a message a consumer received but
// never acked, because its process went away, is claimed by another consumer of the
// group once it has been idle for MinIdleTime.
func TestRedisClaimsMessagesOfAGoneConsumer(t *testing.T) {
	cfg := transporttest.Parse(t, "redis", fmt.Sprintf(
		"{kind: redisstream, addr: %q, block_time: 10ms, claim_interval: 50ms, min_idle_time: 300ms}", testenv.Redis(t)))
	topic := transporttest.Topic("claim")
	opts := transport.SubscriberOptions{Group: "g", Delivery: topology.Shared, Instance: "a"}

	// The first process receives the message and dies before acking it.
	gone := transporttest.Open(t, cfg)
	subA, err := gone.NewSubscriber(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctxA, cancelA := context.WithCancel(context.Background())
	msgsA, err := subA.Subscribe(ctxA, topic)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := gone.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sent := message.NewMessage(watermill.NewUUID(), []byte("claim me"))
	if err := pub.Publish(topic, sent); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-msgsA:
		if msg.UUID != sent.UUID {
			t.Fatalf("first consumer got %s, want %s", msg.UUID, sent.UUID)
		}
		// Neither acked nor nacked: the process is gone.
	case <-time.After(10 * time.Second):
		t.Fatal("first consumer received nothing")
	}
	cancelA()
	_ = subA.Close()

	// A second process of the same group claims it once it is idle long enough.
	opts.Instance = "b"
	subB, err := transporttest.Open(t, cfg).NewSubscriber(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer subB.Close()
	ctxB, cancelB := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancelB()
	msgsB, err := subB.Subscribe(ctxB, topic)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-msgsB:
		if msg.UUID != sent.UUID {
			t.Fatalf("second consumer got %s, want the unacked %s", msg.UUID, sent.UUID)
		}
		msg.Ack()
	case <-ctxB.Done():
		t.Fatal("the unacked message was never claimed by the group's other consumer")
	}
}

// TestRedisMaxLenTrimsStream checks that maxlen caps a stream: approximate trimming
// keeps at least maxlen entries and drops whole older blocks beyond it.
func TestRedisMaxLenTrimsStream(t *testing.T) {
	addr := testenv.Redis(t)
	const maxLen, published = 100, 1000
	tr := transporttest.Open(t, transporttest.Parse(t, "redis", fmt.Sprintf(
		"{kind: redisstream, addr: %q, maxlen: %d, block_time: 10ms}", addr, maxLen)))
	pub, err := tr.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	topic := transporttest.Topic("maxlen")
	for i := 0; i < published; i++ {
		if err := pub.Publish(topic, message.NewMessage(watermill.NewUUID(), []byte("x"))); err != nil {
			t.Fatal(err)
		}
	}
	client := redis.NewClient(&redis.Options{Addr: addr})
	defer client.Close()
	defer client.Del(context.Background(), topic)
	n, err := client.XLen(context.Background(), topic).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n < maxLen || n >= published/2 {
		t.Errorf("stream holds %d entries after %d publishes with maxlen %d", n, published, maxLen)
	}
}
