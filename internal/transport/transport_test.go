package transport_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/transport"
	_ "github.com/millrace/millrace/internal/transport/builtin"
	sqlkind "github.com/millrace/millrace/internal/transport/sql"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

// TestDelivery checks, on every kind, that with two groups and two instances per group a
// shared topic gives each group every message exactly once in total, and a broadcast
// topic gives every instance every message.
func TestDelivery(t *testing.T) {
	const messages = 20
	for _, k := range transporttest.Routes() {
		for _, delivery := range []topology.Delivery{topology.Shared, topology.Broadcast} {
			t.Run(k.Name+"/"+string(delivery), func(t *testing.T) {
				t.Parallel()
				tr := transporttest.Open(t, k.Config(t))
				topic := transporttest.Topic("delivery")

				type member struct{ group, instance string }
				members := []member{{"g1", "a"}, {"g1", "b"}, {"g2", "a"}, {"g2", "b"}}

				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var (
					mu       sync.Mutex
					received = make(map[member][]string)
					wg       sync.WaitGroup
				)
				for _, m := range members {
					sub, err := tr.NewSubscriber(transport.SubscriberOptions{Group: m.group, Delivery: delivery, Instance: m.instance})
					if err != nil {
						t.Fatalf("new subscriber: %v", err)
					}
					t.Cleanup(func() { _ = sub.Close() })
					if si, ok := sub.(message.SubscribeInitializer); ok {
						if err := si.SubscribeInitialize(topic); err != nil {
							t.Fatalf("subscribe initialize: %v", err)
						}
					}
					ch, err := sub.Subscribe(ctx, topic)
					if err != nil {
						t.Fatalf("subscribe %v: %v", m, err)
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						for msg := range ch {
							mu.Lock()
							received[m] = append(received[m], msg.UUID)
							mu.Unlock()
							msg.Ack()
						}
					}()
				}

				pub, err := tr.NewPublisher()
				if err != nil {
					t.Fatalf("new publisher: %v", err)
				}
				defer pub.Close()
				want := make(map[string]bool, messages)
				for i := 0; i < messages; i++ {
					msg := message.NewMessage(watermill.NewUUID(), []byte(fmt.Sprintf("m%d", i)))
					want[msg.UUID] = true
					if err := pub.Publish(topic, msg); err != nil {
						t.Fatalf("publish: %v", err)
					}
				}

				// Per group (shared) or per member (broadcast), who must see every message.
				key := func(m member) string {
					if delivery == topology.Shared {
						return m.group
					}
					return m.group + "/" + m.instance
				}
				counts := func() map[string][]string {
					mu.Lock()
					defer mu.Unlock()
					out := make(map[string][]string)
					for m, ids := range received {
						out[key(m)] = append(out[key(m)], ids...)
					}
					return out
				}
				receivers := 2
				if delivery == topology.Broadcast {
					receivers = 4
				}
				deadline := time.Now().Add(30 * time.Second)
				for {
					got := counts()
					done := len(got) == receivers
					for _, ids := range got {
						done = done && len(ids) >= messages
					}
					if done || time.Now().After(deadline) {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				// A fence after the messages: each transport delivers a receiver's messages
				// in publish order, so once every receiver has the fence, a duplicate of an
				// earlier message would have arrived too.
				fence := message.NewMessage(watermill.NewUUID(), []byte("fence"))
				if err := pub.Publish(topic, fence); err != nil {
					t.Fatalf("publish the fence: %v", err)
				}
				testenv.Eventually(t, "the fence at every receiver", 30*time.Second, func() bool {
					got := counts()
					for _, ids := range got {
						if !slices.Contains(ids, fence.UUID) {
							return false
						}
					}
					return len(got) == receivers
				})
				cancel()
				wg.Wait()

				got := counts()
				if len(got) != receivers {
					t.Fatalf("%d receivers got messages, want %d: %v", len(got), receivers, got)
				}
				for k, ids := range got {
					seen := make(map[string]bool)
					for _, id := range ids {
						if id == fence.UUID {
							continue
						}
						if !want[id] {
							t.Errorf("%s: unexpected message %s", k, id)
						}
						if seen[id] {
							t.Errorf("%s: message %s received twice", k, id)
						}
						seen[id] = true
					}
					if len(seen) != messages {
						t.Errorf("%s: received %d distinct messages, want %d", k, len(seen), messages)
					}
				}
			})
		}
	}
}

// TestNewRejectsBadConfig checks that New reports a missing kind config and an unknown
// kind instead of panicking.
func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []*topology.Transport{
		{Name: "x", Kind: "carrier-pigeon"},
		{Name: "x", Kind: "amqp"},
		{Name: "x", Kind: "redisstream"},
		{Name: "x", Kind: "sql"},
		{Name: "x", Kind: "sql", Settings: &sqlkind.Settings{Dialect: "oracle"}},
	} {
		if tr, err := transport.New(cfg, nil); err == nil {
			_ = tr.Close()
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
}

// TestConcurrentPublishersLoseNothing publishes from several goroutines while a
// subscriber consumes, on every kind, and checks that every message arrives. On MySQL
// this fails without publishSerialized: concurrent inserts commit out of offset order
// and the subscriber acks past rows that commit later.
func TestConcurrentPublishersLoseNothing(t *testing.T) {
	const publishers, perPublisher = 8, 100
	for _, k := range transporttest.Routes() {
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			tr := transporttest.Open(t, k.Config(t))
			topic := transporttest.Topic("concurrent")
			sub, err := tr.NewSubscriber(transport.SubscriberOptions{Group: "g", Delivery: topology.Shared, Instance: "a"})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			if init, ok := sub.(message.SubscribeInitializer); ok {
				if err := init.SubscribeInitialize(topic); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			msgs, err := sub.Subscribe(ctx, topic)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := tr.NewPublisher()
			if err != nil {
				t.Fatal(err)
			}
			defer pub.Close()

			var wg sync.WaitGroup
			for p := 0; p < publishers; p++ {
				wg.Add(1)
				go func(p int) {
					defer wg.Done()
					for i := 0; i < perPublisher; i++ {
						id := fmt.Sprintf("%d-%d", p, i)
						if err := pub.Publish(topic, message.NewMessage(id, []byte(id))); err != nil {
							t.Errorf("publish %s: %v", id, err)
							return
						}
					}
				}(p)
			}

			seen := make(map[string]bool, publishers*perPublisher)
			for len(seen) < publishers*perPublisher {
				select {
				case msg := <-msgs:
					seen[msg.UUID] = true
					msg.Ack()
				case <-ctx.Done():
					wg.Wait()
					t.Fatalf("received %d of %d messages", len(seen), publishers*perPublisher)
				}
			}
			wg.Wait()
		})
	}
}

// TestCloseClosesChannels checks Watermill's contract on every kind: once a subscriber's
// Close returns, the channels of its subscriptions are closed. watermill-sql v3 alone can
// return from Close a moment before it closes a channel.
func TestCloseClosesChannels(t *testing.T) {
	for _, k := range transporttest.Routes() {
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			tr := transporttest.Open(t, k.Config(t))
			topic := transporttest.Topic("closing")
			for i := 0; i < 10; i++ {
				sub, err := tr.NewSubscriber(transport.SubscriberOptions{Group: "g", Delivery: topology.Shared, Instance: "a"})
				if err != nil {
					t.Fatal(err)
				}
				msgs, err := sub.Subscribe(context.Background(), topic)
				if err != nil {
					t.Fatal(err)
				}
				if err := sub.Close(); err != nil {
					t.Fatal(err)
				}
				select {
				case _, open := <-msgs:
					if open {
						t.Fatal("a message arrived on a topic nobody published to")
					}
				default:
					t.Fatalf("round %d: channel still open after Close returned", i)
				}
			}
		})
	}
}
