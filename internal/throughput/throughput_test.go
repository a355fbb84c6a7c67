package throughput

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// Tick is the event both paths carry.
type Tick struct {
	N    int    `json:"n"`
	Text string `json:"text"`
}

// EventName implements event.Event.
func (Tick) EventName() string { return "bench.tick" }

// EventVersion implements event.Event.
func (Tick) EventVersion() int { return 1 }

// publishers is how many goroutines publish at once on both paths.
const publishers = 8

// route is one transport under benchmark: the YAML of its transport entry.
type route struct {
	name string
	yaml func(tb testing.TB) string
}

var routes = []route{
	{"memory", func(testing.TB) string { return "{kind: gochannel}" }},
	{"amqp", func(tb testing.TB) string {
		return fmt.Sprintf("{kind: amqp, url: %q}", testenv.RabbitMQ(tb))
	}},
	{"redisstream", func(tb testing.TB) string {
		return fmt.Sprintf("{kind: redisstream, addr: %q}", testenv.Redis(tb))
	}},
	{"postgres", func(tb testing.TB) string {
		return fmt.Sprintf("{kind: sql, dialect: postgres, dsn: %q, poll_interval: 10ms}", testenv.Postgres(tb))
	}},
	{"mysql", func(tb testing.TB) string {
		return fmt.Sprintf("{kind: sql, dialect: mysql, dsn: %q, poll_interval: 10ms}", testenv.MySQL(tb))
	}},
}

// rounds is how many times each path runs per benchmark. Every round runs each path
// once, starting with a different one each round, so that neither a burst of load from
// elsewhere on the machine nor the order of the paths favours one of them.
const rounds = 7

// path is one way through a transport under measurement.
type path struct {
	name  string
	build func(topic string) runner
}

func BenchmarkStack(b *testing.B) {
	for _, r := range routes {
		b.Run(r.name, func(b *testing.B) {
			transportYAML := r.yaml(b)
			paths := []path{
				{"bare", func(topic string) runner {
					return newBare(b, benchTopology(b, transportYAML, topic), topic, false)
				}},
				{"bare+metadata", func(topic string) runner {
					return newBare(b, benchTopology(b, transportYAML, topic), topic, true)
				}},
				{"millrace", func(topic string) runner {
					return newStack(b, benchTopology(b, transportYAML, topic), topic)
				}},
			}
			if r.name == "memory" {
				// In memory, a user of bare Watermill would run its GoChannel rather than
				// millrace's in-memory broker: measured too, as a fourth path.
				paths = append(paths, path{"gochannel", func(topic string) runner { return newGoChannel(b, topic) }})
			}
			rates := runRounds(b, paths)
			b.ReportMetric(medianRatio(rates["millrace"], rates["bare"]), "ratio")
			b.ReportMetric(medianRatio(rates["millrace"], rates["bare+metadata"]), "ratio-same-metadata")
			b.ReportMetric(medianRatio(rates["bare+metadata"], rates["bare"]), "ratio-metadata-only")
			if gc, ok := rates["gochannel"]; ok {
				b.ReportMetric(medianRatio(rates["millrace"], gc), "ratio-vs-gochannel")
			}
		})
	}
}

// runRounds measures every path once per round, in an order rotated each round, reports
// the median rate of each path as "<path>-msgs/s" and returns every rate by path.
func runRounds(b *testing.B, paths []path) map[string][]float64 {
	b.ResetTimer()
	rates := make(map[string][]float64, len(paths))
	for round := range rounds {
		for i := range paths {
			p := paths[(round+i)%len(paths)]
			rates[p.name] = append(rates[p.name], measure(b, p.build))
		}
	}
	b.StopTimer()
	for _, p := range paths {
		b.ReportMetric(median(rates[p.name]), p.name+"-msgs/s")
	}
	return rates
}

// medianRatio returns the median over rounds of a[i]/b[i]: each ratio compares two runs
// of the same round, close in time.
func medianRatio(a, b []float64) float64 {
	ratios := make([]float64, len(a))
	for i := range a {
		ratios[i] = a[i] / b[i]
	}
	return median(ratios)
}

// median returns the median of xs.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchTopology returns a topology whose "bench.*" topics live on the transport "t" and
// whose handler bench-consumer consumes topic.
func benchTopology(tb testing.TB, transportYAML, topic string) *topology.Topology {
	tb.Helper()
	return benchTopologyWith(tb, transportYAML, topic, "")
}

// benchTopologyWith is benchTopology with handlerSettings (such as ", filter: {...}")
// written after the handler's topic.
func benchTopologyWith(tb testing.TB, transportYAML, topic, handlerSettings string) *topology.Topology {
	tb.Helper()
	return parseBench(tb, fmt.Sprintf(`version: 1
transports:
  t: %s
topics:
  bench.*: {transport: t}
defaults:
  retry: {max_attempts: 3, initial_interval: 10ms, max_interval: 100ms}
  timeout: 30s
handlers:
  bench-consumer: {topic: %s%s}
`, transportYAML, topic, handlerSettings))
}

// parseBench parses the topology src.
func parseBench(tb testing.TB, src string) *topology.Topology {
	tb.Helper()
	topo, err := topology.Parse("bench.yaml", []byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	return topo
}

// runner is one path under measurement: publish sends a message, received counts
// handled messages, and close releases everything.
type runner struct {
	publish  func(i int) error
	received *atomic.Int64
	close    func()
}

// measure sends b.N messages through the runner build returns and returns messages handled
// per second, from the first publish to the last message handled.
func measure(b *testing.B, build func(topic string) runner) float64 {
	b.Helper()
	n := b.N
	r := build("bench." + randomSuffix())
	defer r.close()

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, publishers)
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := p; i < n; i += publishers {
				if err := r.publish(i); err != nil {
					errs <- err
					return
				}
			}
		}(p)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for r.received.Load() < int64(n) {
		if time.Now().After(deadline) {
			b.Fatalf("received %d of %d messages", r.received.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	if got := r.received.Load(); got != int64(n) {
		b.Fatalf("received %d messages, sent %d", got, n)
	}
	return float64(n) / elapsed.Seconds()
}

// newBare wires the transport's own Watermill publisher and subscriber to a plain
// message.Router (see bareConsumer). With metadata, each message carries the same
// metadata entries as millrace's (see eventMetadata).
func newBare(b *testing.B, topo *topology.Topology, topic string, metadata bool) runner {
	b.Helper()
	tr, err := transport.New(topo.Transports["t"], watermill.NopLogger{})
	if err != nil {
		b.Fatal(err)
	}
	pub, err := tr.NewPublisher()
	if err != nil {
		b.Fatal(err)
	}
	sub, err := tr.NewSubscriber(transport.SubscriberOptions{Group: "bench-bare", Delivery: topology.Shared, Instance: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	if init, ok := sub.(message.SubscribeInitializer); ok {
		if err := init.SubscribeInitialize(topic); err != nil {
			b.Fatal(err)
		}
	}
	received, stop := bareConsumer(b, topic, sub)
	return runner{
		publish: func(i int) error {
			msg, err := bareMessage(i)
			if err != nil {
				return err
			}
			if metadata {
				eventMetadata(msg)
			}
			return pub.Publish(topic, msg)
		},
		received: received,
		close: func() {
			stop()
			_ = pub.Close()
			_ = sub.Close()
			_ = tr.Close()
		},
	}
}

// newGoChannel is bare Watermill on its own in-memory Pub/Sub, GoChannel, with its
// default configuration.
func newGoChannel(b *testing.B, topic string) runner {
	b.Helper()
	gc := gochannel.NewGoChannel(gochannel.Config{}, watermill.NopLogger{})
	received, stop := bareConsumer(b, topic, gc)
	return runner{
		publish: func(i int) error {
			msg, err := bareMessage(i)
			if err != nil {
				return err
			}
			return gc.Publish(topic, msg)
		},
		received: received,
		close: func() {
			stop()
			_ = gc.Close()
		},
	}
}

// bareMessage returns a plain Watermill message carrying Tick i.
func bareMessage(i int) (*message.Message, error) {
	payload, err := json.Marshal(Tick{N: i, Text: "tick"})
	if err != nil {
		return nil, err
	}
	return message.NewMessage(watermill.NewUUID(), payload), nil
}

// bareConsumer runs a plain message.Router consuming topic from sub with a handler that
// decodes the payload and counts; stop stops the router.
func bareConsumer(b *testing.B, topic string, sub message.Subscriber) (received *atomic.Int64, stop func()) {
	b.Helper()
	received = new(atomic.Int64)
	wr, err := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	if err != nil {
		b.Fatal(err)
	}
	wr.AddConsumerHandler("bench-bare", topic, sub, func(msg *message.Message) error {
		var t Tick
		if err := json.Unmarshal(msg.Payload, &t); err != nil {
			return err
		}
		received.Add(1)
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = wr.Run(ctx) }()
	<-wr.Running()
	return received, func() {
		cancel()
		<-done
	}
}

// newStack wires the same transport through millrace: the routed bus, the typed event
// bus and the router with its full middleware chain, running the routes of topo (if
// any) beside the handler bench-consumer.
func newStack(b *testing.B, topo *topology.Topology, topic string) runner {
	b.Helper()
	bs, err := bus.Open(topo, bus.Options{Instance: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	events, err := event.NewPublisher(bs.Publisher(), event.PublisherConfig{
		Source: "millrace/throughput",
		Topic:  func(event.Event) string { return topic },
	})
	if err != nil {
		b.Fatal(err)
	}
	received := new(atomic.Int64)
	h := event.NewHandler("bench-consumer", func(ctx context.Context, t *Tick) error {
		received.Add(1)
		return nil
	})
	rt, err := router.New(router.Config{
		Topology: topo,
		Bus:      bs,
		Logger:   slog.New(slog.DiscardHandler),
		Handlers: []router.Handler{h},
		Routes:   router.AllRoutes(topo),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = rt.Run(ctx) }()
	<-rt.Running()
	return runner{
		publish: func(i int) error {
			return events.Publish(context.Background(), Tick{N: i, Text: "tick"})
		},
		received: received,
		close: func() {
			cancel()
			<-done
			_ = rt.Close()
			_ = bs.Close()
		},
	}
}

// eventMetadata sets on msg, by hand, the entries millrace puts on an event published at
// the edge of a flow: the CloudEvents attributes and the correlation id, with values of
// the same size.
func eventMetadata(msg *message.Message) {
	msg.Metadata.Set(metadata.KeyID, msg.UUID)
	msg.Metadata.Set(metadata.KeyType, "bench.tick.v1")
	msg.Metadata.Set(metadata.KeySource, "millrace/throughput")
	msg.Metadata.Set(metadata.KeyTime, time.Now().UTC().Format(time.RFC3339Nano))
	msg.Metadata.Set(metadata.KeySpecVersion, metadata.SpecVersion)
	msg.Metadata.Set(metadata.KeyCorrelationID, msg.UUID)
}

func randomSuffix() string {
	var buf [6]byte
	_, _ = rand.Read(buf[:])
	return hex.EncodeToString(buf[:])
}
