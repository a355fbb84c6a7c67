package transport_test

import (
	"bytes"
	"context"
	stdsql "database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

// kinds returns the routes of transporttest: one transport config per kind (SQL once
// per dialect); broker kinds skip (or fail under CI) when their service is down.
func kinds() []transporttest.Route { return transporttest.Routes() }

func mustNew(t *testing.T, cfg *topology.Transport) transport.Transport {
	t.Helper()
	tr, err := transport.New(cfg, watermill.NopLogger{})
	if err != nil {
		t.Fatalf("new transport: %v", err)
	}
	t.Cleanup(func() {
		if err := tr.Close(); err != nil {
			t.Errorf("close transport: %v", err)
		}
	})
	return tr
}

// uniqueTopic returns a topic name no other test run uses.
func uniqueTopic(prefix string) string {
	return prefix + "_" + strings.ToLower(watermill.NewShortUUID())
}

// TestDelivery checks, on every kind, that with two groups and two instances per group a
// shared topic gives each group every message exactly once in total, and a broadcast
// topic gives every instance every message.
func TestDelivery(t *testing.T) {
	const messages = 20
	for _, k := range kinds() {
		for _, delivery := range []topology.Delivery{topology.Shared, topology.Broadcast} {
			t.Run(k.Name+"/"+string(delivery), func(t *testing.T) {
				t.Parallel()
				tr := mustNew(t, k.Config(t))
				topic := uniqueTopic("delivery")

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
				// Give duplicates, if any, a moment to arrive before counting.
				time.Sleep(200 * time.Millisecond)
				cancel()
				wg.Wait()

				got := counts()
				if len(got) != receivers {
					t.Fatalf("%d receivers got messages, want %d: %v", len(got), receivers, got)
				}
				for k, ids := range got {
					seen := make(map[string]bool)
					for _, id := range ids {
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

// TestMemoryGroupMembersCompete checks that the in-memory transport shares a group's
// messages among its subscribers: while one member holds a message unacked, the next
// message goes to the other member.
func TestMemoryGroupMembersCompete(t *testing.T) {
	tr := mustNew(t, kinds()[0].Config(t))
	topic := uniqueTopic("compete")
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

// TestPostgresPayloadIsBinary publishes bytes that are not JSON through the Postgres
// transport, checks they come back unchanged and that the payload column is BYTEA.
func TestPostgresPayloadIsBinary(t *testing.T) {
	dsn := testenv.Postgres(t)
	tr := mustNew(t, &topology.Transport{Name: "pg", Kind: topology.KindSQL, SQL: &topology.SQLConfig{
		Dialect: topology.DialectPostgres, DSN: topology.Secret(dsn), PollInterval: 10 * time.Millisecond, InitializeSchema: true,
	}})
	topic := uniqueTopic("binary")
	payload := []byte{0xff, 0x00, 0xfe, '{', 0x80}

	pub, err := tr.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if err := pub.Publish(topic, message.NewMessage(watermill.NewUUID(), payload)); err != nil {
		t.Fatalf("publish non-JSON payload: %v", err)
	}

	sub, err := tr.NewSubscriber(transport.SubscriberOptions{Group: "binary", Delivery: topology.Shared})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-ch:
		msg.Ack()
		if !bytes.Equal(msg.Payload, payload) {
			t.Errorf("payload = %x, want %x", msg.Payload, payload)
		}
	case <-ctx.Done():
		t.Fatal("no message received")
	}

	db, err := stdsql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var typ string
	err = db.QueryRow(`SELECT data_type FROM information_schema.columns WHERE table_name = $1 AND column_name = 'payload'`,
		"watermill_"+topic).Scan(&typ)
	if err != nil {
		t.Fatalf("payload column type: %v", err)
	}
	if typ != "bytea" {
		t.Errorf("payload column type = %q, want bytea", typ)
	}
	for _, table := range []string{"watermill_" + topic, "watermill_offsets_" + topic} {
		if _, err := db.Exec(`DROP TABLE IF EXISTS "` + table + `"`); err != nil {
			t.Errorf("drop %s: %v", table, err)
		}
	}
}

// TestSQLTopicTooLong checks that a topic whose offsets table name would pass the
// PostgreSQL identifier limit is rejected by name at publish and subscribe.
func TestSQLTopicTooLong(t *testing.T) {
	// No connection is made: the check runs before any query.
	tr := mustNew(t, &topology.Transport{Name: "pg", Kind: topology.KindSQL, SQL: &topology.SQLConfig{
		Dialect: topology.DialectPostgres, DSN: "postgres://nobody@127.0.0.1:1/none", InitializeSchema: true,
	}})
	ok := strings.Repeat("t", 63-len("watermill_offsets_"))
	long := ok + "x"

	pub, err := tr.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	err = pub.Publish(long, message.NewMessage(watermill.NewUUID(), nil))
	if err == nil || !strings.Contains(err.Error(), "too long") || !strings.Contains(err.Error(), long) {
		t.Errorf("publish to a %d-byte topic: err = %v, want a 'too long' error naming the topic", len(long), err)
	}

	sub, err := tr.NewSubscriber(transport.SubscriberOptions{Group: "g", Delivery: topology.Shared})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	_, err = sub.Subscribe(context.Background(), long)
	if err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("subscribe to a %d-byte topic: err = %v, want a 'too long' error", len(long), err)
	}
	si := sub.(message.SubscribeInitializer)
	if err := si.SubscribeInitialize(long); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("initialize a %d-byte topic: err = %v, want a 'too long' error", len(long), err)
	}
	// The longest allowed topic passes the check and fails only on the unreachable
	// database, so the message differs.
	if err := si.SubscribeInitialize(ok); err == nil || strings.Contains(err.Error(), "too long") {
		t.Errorf("initialize a %d-byte topic: err = %v, want a connection error", len(ok), err)
	}
}

// TestNewRejectsBadConfig checks that New reports a missing kind config and an unknown
// kind instead of panicking.
func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []*topology.Transport{
		{Name: "x", Kind: "carrier-pigeon"},
		{Name: "x", Kind: topology.KindAMQP},
		{Name: "x", Kind: topology.KindRedisStream},
		{Name: "x", Kind: topology.KindSQL},
		{Name: "x", Kind: topology.KindSQL, SQL: &topology.SQLConfig{Dialect: "oracle"}},
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
	for _, k := range kinds() {
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			tr := mustNew(t, k.Config(t))
			topic := uniqueTopic("concurrent")
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

// TestRedisClaimsMessagesOfAGoneConsumer checks that a message a consumer received but
// never acked, because its process went away, is claimed by another consumer of the
// group once it has been idle for MinIdleTime.
func TestRedisClaimsMessagesOfAGoneConsumer(t *testing.T) {
	cfg := &topology.Transport{Name: "redis", Kind: topology.KindRedisStream, RedisStream: &topology.RedisStreamConfig{
		Addr: testenv.Redis(t), BlockTime: 10 * time.Millisecond,
		ClaimInterval: 50 * time.Millisecond, MinIdleTime: 300 * time.Millisecond,
	}}
	topic := uniqueTopic("claim")
	opts := transport.SubscriberOptions{Group: "g", Delivery: topology.Shared, Instance: "a"}

	// The first process receives the message and dies before acking it.
	gone := mustNew(t, cfg)
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
	subB, err := mustNew(t, cfg).NewSubscriber(opts)
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
	tr := mustNew(t, &topology.Transport{Name: "redis", Kind: topology.KindRedisStream, RedisStream: &topology.RedisStreamConfig{
		Addr: addr, MaxLen: maxLen, BlockTime: 10 * time.Millisecond,
	}})
	pub, err := tr.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	topic := uniqueTopic("maxlen")
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

// TestCloseClosesChannels checks Watermill's contract on every kind: once a subscriber's
// Close returns, the channels of its subscriptions are closed. watermill-sql v3 alone can
// return from Close a moment before it closes a channel.
func TestCloseClosesChannels(t *testing.T) {
	for _, k := range kinds() {
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			tr := mustNew(t, k.Config(t))
			topic := uniqueTopic("closing")
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
