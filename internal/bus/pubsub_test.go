package bus_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

// suiteTopology puts every topic ("*" matches the suite's single-segment names) on tr.
func suiteTopology(tr *topology.Transport) *topology.Topology {
	return &topology.Topology{
		File:       "pubsub_test",
		Version:    1,
		Transports: map[string]*topology.Transport{tr.Name: tr},
		Topics:     []*topology.Topic{{Name: "*", Transport: tr.Name, Delivery: topology.Shared}},
	}
}

// lockBound are the universal tests that leave a message of one subscription unacked
// while they wait for another subscription of the same Pub/Sub: on a route whose
// delivery holds the database's single write lock, the second subscription waits for
// it and the test times out.
var lockBound = []string{"TestTopic", "TestMessageCtx"}

// TestPubSub runs Watermill's universal Pub/Sub suite through the routed bus on every
// route of transporttest.
func TestPubSub(t *testing.T) {
	for _, r := range transporttest.Routes() {
		t.Run(r.Name, func(t *testing.T) {
			t.Parallel()
			topo := suiteTopology(r.Config(t))
			logger := watermill.NopLogger{}

			var shared *bus.Bus
			// An in-process broker lives in the transport: separate buses would not meet.
			if r.InProcess {
				shared = mustOpen(t, topo, logger)
			}
			// A route with one writer gives each test of the suite a database of its own:
			// the suite runs its tests in parallel, some with dozens of subscribers.
			var mu sync.Mutex
			perTest := map[string]*topology.Topology{}
			topoFor := func(t *testing.T) *topology.Topology {
				if !r.LocksWhileHandling {
					return topo
				}
				mu.Lock()
				defer mu.Unlock()
				if perTest[t.Name()] == nil {
					perTest[t.Name()] = suiteTopology(r.Config(t))
				}
				return perTest[t.Name()]
			}
			constructor := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
				if r.LocksWhileHandling {
					for _, name := range lockBound {
						if strings.Contains(t.Name(), "/"+name+"/") {
							t.Skip(name + " holds a delivered message unacked while it waits for another subscription of the same database, which waits for the write lock that delivery holds (transporttest.Route.LocksWhileHandling)")
						}
					}
				}
				b := shared
				if b == nil {
					b = mustOpen(t, topoFor(t), logger)
				}
				pub, err := b.NewPublisher()
				if err != nil {
					t.Fatal(err)
				}
				sub, err := b.NewSubscriber(group)
				if err != nil {
					t.Fatal(err)
				}
				return pub, sub
			}
			start := time.Now()
			t.Cleanup(func() { t.Logf("route %s: suite took %s", r.Name, time.Since(start).Round(time.Millisecond)) })
			tests.TestPubSub(t, r.Features,
				func(t *testing.T) (message.Publisher, message.Subscriber) {
					if r.GroupPerPubSub {
						return constructor(t, "suite_"+watermill.NewShortUUID())
					}
					return constructor(t, "suite")
				},
				constructor,
			)
		})
	}
}

func mustOpen(t *testing.T, topo *topology.Topology, logger watermill.LoggerAdapter) *bus.Bus {
	t.Helper()
	b, err := bus.Open(topo, bus.Options{Logger: logger})
	if err != nil {
		t.Fatalf("open bus: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close bus: %v", err)
		}
	})
	return b
}
