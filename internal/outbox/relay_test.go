package outbox_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/logging"
	"github.com/millrace/millrace/internal/outbox"
	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// ping is the event the tests relay; Seq identifies it.
type ping struct {
	Seq int `json:"seq"`
}

func (ping) EventName() string { return "ping" }
func (ping) EventVersion() int { return 1 }

// relayEnv is an outbox in a fresh PostgreSQL schema relaying to transport kind.
type relayEnv struct {
	db    *sql.DB
	ob    *outbox.Outbox
	bus   *bus.Bus
	topic string
}

// newRelayEnv returns the environment; options adjust the outbox config.
func newRelayEnv(tb testing.TB, transportYAML string, options ...func(*outbox.Config)) *relayEnv {
	tb.Helper()
	dsn := testenv.PostgresSchema(tb)
	topic := fmt.Sprintf("r%d.ping", time.Now().UnixNano()%1e9)
	y := fmt.Sprintf("version: 1\ntransports:\n  pg: {kind: sql, dialect: postgres, dsn: %q}\n  out: %s\ntopics:\n  %s: {transport: out, outbox: pg}\n",
		dsn, transportYAML, topic)
	topo, err := topology.Parse("relay.yaml", []byte(y))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { testenv.DropTopic(tb, topo.Transports["out"], topic, "observer") })
	b, err := bus.Open(topo, bus.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = b.Close() })
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	cfg := outbox.Config{
		Dialect: sqldb.Postgres, Topic: "ob_" + topic[:10], Source: "test",
		EventTopic: func(event.Event) string { return topic },
	}
	for _, o := range options {
		o(&cfg)
	}
	ob, err := outbox.New(context.Background(), db, cfg, logging.Watermill(slog.New(slog.DiscardHandler)))
	if err != nil {
		tb.Fatal(err)
	}
	return &relayEnv{db: db, ob: ob, bus: b, topic: topic}
}

// subscribe returns the channel of the topic's messages for a test group.
func (e *relayEnv) subscribe(tb testing.TB) <-chan *message.Message {
	tb.Helper()
	sub, err := e.bus.NewSubscriber("observer")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := sub.Subscribe(ctx, e.topic)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cancel(); _ = sub.Close() })
	return ch
}

// run starts a relay publishing through the bus.
func (e *relayEnv) run(tb testing.TB) { e.runWith(tb, e.bus.Publisher()) }

// runWith starts a relay publishing through out.
func (e *relayEnv) runWith(tb testing.TB, out message.Publisher) {
	tb.Helper()
	relay, err := e.ob.NewRelay(out)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("relay: %v", err)
		}
		_ = relay.Close()
	})
	<-relay.Running()
}

// publish writes ping seq in its own transaction, rolling back when rollback is set.
func (e *relayEnv) publish(tb testing.TB, seq int, rollback bool) {
	tx, err := e.db.Begin()
	if err != nil {
		tb.Error(err)
		return
	}
	if err := e.ob.Publish(context.Background(), tx, ping{Seq: seq}); err != nil {
		tb.Error(err)
		_ = tx.Rollback()
		return
	}
	if rollback {
		err = tx.Rollback()
	} else {
		err = tx.Commit()
	}
	if err != nil {
		tb.Error(err)
	}
}

// waitEmptyBacklog waits until the relay has marked every committed event relayed.
func (e *relayEnv) waitEmptyBacklog(t *testing.T) {
	t.Helper()
	var n int
	waited := false
	t.Cleanup(func() {
		if t.Failed() && !waited {
			t.Logf("backlog %d after every event arrived, want 0", n)
		}
	})
	testenv.Eventually(t, "an empty backlog", 30*time.Second, func() bool {
		var err error
		if n, err = e.ob.Backlog(context.Background()); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
	waited = true
}

func seqOf(tb testing.TB, m *message.Message) int {
	var p ping
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		tb.Fatalf("payload %q: %v", m.Payload, err)
	}
	return p.Seq
}

// TestRelayDeliversCommittedOnly relays to RabbitMQ one event at a time (InFlight 1):
// committed events arrive once each, in commit order, with their outbox message ids;
// rolled back ones never arrive.
func TestRelayDeliversCommittedOnly(t *testing.T) {
	e := newRelayEnv(t, fmt.Sprintf("{kind: amqp, url: %q, durable: false}", testenv.RabbitMQ(t)),
		func(c *outbox.Config) { c.InFlight = 1 })
	ch := e.subscribe(t)
	for i := 1; i <= 6; i++ {
		e.publish(t, i, i%2 == 0)
	}
	e.run(t)
	var got []int
	timeout := time.After(30 * time.Second)
	for len(got) < 3 {
		select {
		case m := <-ch:
			got = append(got, seqOf(t, m))
			if event.MessageType(m) != "ping.v1" || m.UUID == "" {
				t.Errorf("relayed message %s type %q", m.UUID, event.MessageType(m))
			}
			m.Ack()
		case <-timeout:
			t.Fatalf("got %v, want [1 3 5]", got)
		}
	}
	if !slices.Equal(got, []int{1, 3, 5}) {
		t.Errorf("relayed %v, want [1 3 5]", got)
	}
}

// flakyPublisher fails the first publishes of chosen events, as a broker that refuses
// or loses a message would, and passes the others to next.
type flakyPublisher struct {
	next message.Publisher
	tb   testing.TB

	mu       sync.Mutex
	failures map[int]int // seq -> publishes still to fail
}

func (p *flakyPublisher) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		seq := seqOf(p.tb, m)
		p.mu.Lock()
		fail := p.failures[seq] > 0
		if fail {
			p.failures[seq]--
		}
		p.mu.Unlock()
		if fail {
			return fmt.Errorf("event %d refused", seq)
		}
	}
	return p.next.Publish(topic, msgs...)
}

func (p *flakyPublisher) Close() error { return nil }

// TestRelayRetriesBatchOfFailedPublish relays with 16 publishes in flight while two
// events fail to publish, twice each: every event still arrives, the failed ones once
// they succeed, and the outbox ends with nothing left to relay.
func TestRelayRetriesBatchOfFailedPublish(t *testing.T) {
	e := newRelayEnv(t, fmt.Sprintf("{kind: redisstream, addr: %q, block_time: 10ms}", testenv.Redis(t)),
		func(c *outbox.Config) { c.InFlight = 16; c.RetryPause = 50 * time.Millisecond })
	ch := e.subscribe(t)
	const n = 60
	for i := 1; i <= n; i++ {
		e.publish(t, i, false)
	}
	e.runWith(t, &flakyPublisher{next: e.bus.Publisher(), tb: t, failures: map[int]int{7: 2, 41: 2}})
	seen := map[int]int{}
	timeout := time.After(60 * time.Second)
	for len(seen) < n {
		select {
		case m := <-ch:
			seen[seqOf(t, m)]++
			m.Ack()
		case <-timeout:
			t.Fatalf("received %d of %d events: %v", len(seen), n, seen)
		}
	}
	e.waitEmptyBacklog(t)
	for seq := 1; seq <= n; seq++ {
		if seen[seq] == 0 {
			t.Errorf("event %d never arrived", seq)
		}
	}
}

// relayKinds are the transports the relay benchmarks publish to.
var relayKinds = map[string]func(testing.TB) string{
	"rabbitmq": func(tb testing.TB) string {
		return fmt.Sprintf("{kind: amqp, url: %q, durable: false}", testenv.RabbitMQ(tb))
	},
	"redis": func(tb testing.TB) string {
		return fmt.Sprintf("{kind: redisstream, addr: %q, block_time: 10ms}", testenv.Redis(tb))
	},
}

// BenchmarkRelayDrain measures the relay alone on PostgreSQL -> RabbitMQ and
// PostgreSQL -> Redis Streams: b.N events are committed first, then the relay starts and
// the rate at which they reach a consumer is reported in events/s; with the default
// publishes in flight and with one (commit order).
func BenchmarkRelayDrain(b *testing.B) {
	for _, run := range []struct {
		name, kind string
		inFlight   int
	}{
		{"rabbitmq", "rabbitmq", 0}, {"rabbitmq/in-flight-1", "rabbitmq", 1},
		{"redis", "redis", 0}, {"redis/in-flight-1", "redis", 1},
	} {
		b.Run(run.name, func(b *testing.B) {
			e := newRelayEnv(b, relayKinds[run.kind](b), func(c *outbox.Config) { c.InFlight = run.inFlight })
			ch := e.subscribe(b)
			for s := 0; s < b.N; s++ {
				e.publish(b, s, false)
			}
			b.ResetTimer()
			start := time.Now()
			e.run(b)
			seen := make(map[int]bool, b.N)
			timeout := time.After(120 * time.Second)
			for len(seen) < b.N {
				select {
				case m := <-ch:
					seen[seqOf(b, m)] = true
					m.Ack()
				case <-timeout:
					b.Fatalf("received %d of %d", len(seen), b.N)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkRelay measures the outbox from commit to delivery on PostgreSQL -> RabbitMQ
// and PostgreSQL -> Redis Streams while events are being committed: b.N events, one
// transaction each from 8 writers, reported as events/s and p50/p99 commit-to-delivery
// latency. "burst" commits as fast as the writers can (the writers and the relay share
// the machine; latency then includes queueing behind the backlog); "paced-500" and
// "paced-2000" commit 500 and 2,000 events/s, the latency of a relay that keeps up.
func BenchmarkRelay(b *testing.B) {
	kinds := relayKinds
	for _, run := range []struct {
		name, kind string
		pace       time.Duration
	}{
		{"rabbitmq/burst", "rabbitmq", 0},
		{"rabbitmq/paced-500", "rabbitmq", 2 * time.Millisecond},
		{"rabbitmq/paced-2000", "rabbitmq", 500 * time.Microsecond},
		{"redis/burst", "redis", 0},
		{"redis/paced-500", "redis", 2 * time.Millisecond},
		{"redis/paced-2000", "redis", 500 * time.Microsecond},
	} {
		name, pace := run.kind, run.pace
		b.Run(run.name, func(b *testing.B) {
			e := newRelayEnv(b, kinds[name](b))
			ch := e.subscribe(b)
			e.run(b)
			committed := make([]time.Time, b.N)
			latencies := make([]time.Duration, 0, b.N)
			recvDone := make(chan struct{})
			var mu sync.Mutex
			go func() {
				defer close(recvDone)
				seen := make(map[int]bool, b.N)
				for len(seen) < b.N {
					m, ok := <-ch
					if !ok {
						return
					}
					now := time.Now()
					s := seqOf(b, m)
					m.Ack()
					if seen[s] {
						continue
					}
					seen[s] = true
					mu.Lock()
					latencies = append(latencies, now.Sub(committed[s]))
					mu.Unlock()
				}
			}()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			next := make(chan int)
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for s := range next {
						mu.Lock()
						committed[s] = time.Now() // upper bound: set before the commit
						mu.Unlock()
						e.publish(b, s, false)
					}
				}()
			}
			for s := 0; s < b.N; s++ {
				if pace > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(s) * pace)))
				}
				next <- s
			}
			close(next)
			wg.Wait()
			select {
			case <-recvDone:
			case <-time.After(120 * time.Second):
				b.Fatalf("received %d of %d", len(latencies), b.N)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(latencies)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
