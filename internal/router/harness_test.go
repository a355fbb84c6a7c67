package router_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/router/routertest"
	"github.com/millrace/millrace/topology"
)

// wait bounds every wait for a message or a condition.
const wait = 30 * time.Second

// harness runs the suite cases on one transport.
type harness struct {
	// transport returns the YAML value of the transport named "tr" for one case (a
	// SQLite route gives each case a database file of its own).
	transport func(t testing.TB) string
	// open returns a bus over topo for one instance; it is closed when the test ends.
	open func(t *testing.T, topo *topology.Topology, instance string) router.PubSub
	// instances is how many buses can reach the same broker (1 for in-process brokers).
	instances int
}

// suffix returns a short random name part that keeps parallel runs apart.
func suffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// parse parses a topology file in which {tr} is the transport and {s} the suffix.
// Retries are fast: 3 attempts, 10ms growing to 40ms.
func (h harness) parse(t *testing.T, s, body string) *topology.Topology {
	t.Helper()
	return h.parseWith(t, s, "", body)
}

// parseWith is parse with more transports (YAML lines under transports) beside "tr".
func (h harness) parseWith(t *testing.T, s, transports, body string) *topology.Topology {
	t.Helper()
	src := strings.NewReplacer("{tr}", h.transport(t), "{s}", s).Replace(`version: 1
transports:
  tr: {tr}
` + transports + `defaults:
  retry: {max_attempts: 3, initial_interval: 10ms, max_interval: 40ms, multiplier: 2}
  poison: {topic: "{topic}.poison"}
` + body)
	topo, err := topology.Parse("test-"+s+".yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse topology: %v\n%s", err, src)
	}
	return topo
}

// start builds a router and runs it until the test ends.
func start(t *testing.T, cfg router.Config) *router.Router {
	t.Helper()
	return routertest.Start(t, cfg)
}

// probe subscribes group to topic and returns the messages received, acked. It
// subscribes before returning, so messages published afterwards are not missed.
func probe(t *testing.T, b router.PubSub, group, topic string) <-chan *message.Message {
	t.Helper()
	sub, err := b.NewSubscriber(group)
	if err != nil {
		t.Fatalf("probe subscriber: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	msgs, err := sub.Subscribe(ctx, topic)
	if err != nil {
		cancel()
		t.Fatalf("probe subscribe %s: %v", topic, err)
	}
	out := make(chan *message.Message, 1000)
	t.Cleanup(func() {
		cancel()
		_ = sub.Close()
	})
	go func() {
		for m := range msgs {
			m.Ack()
			out <- m
		}
	}()
	return out
}

// receive returns the next message of ch, failing the test after wait.
func receive(t *testing.T, ch <-chan *message.Message, what string) *message.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(wait):
		t.Fatalf("no %s within %s", what, wait)
		return nil
	}
}

// publish publishes msg on topic through b, failing the test on error.
func publish(t *testing.T, b router.PubSub, topic string, msg *message.Message) {
	t.Helper()
	if err := b.Publisher().Publish(topic, msg); err != nil {
		t.Fatalf("publish to %s: %v", topic, err)
	}
}

// fnHandler is a router.Handler from a function.
type fnHandler struct {
	name string
	fn   func(*message.Message) error
}

func (h fnHandler) Name() string                             { return h.name }
func (h fnHandler) HandleMessage(msg *message.Message) error { return h.fn(msg) }
