package router_test

import (
	"testing"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

// openBus opens a bus for one instance and closes it when the test ends (after the
// routers and probes, whose cleanups run first).
func openBus(t *testing.T, topo *topology.Topology, instance string) router.PubSub {
	t.Helper()
	b, err := bus.Open(topo, bus.Options{Instance: instance})
	if err != nil {
		t.Fatalf("bus.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("bus Close: %v", err)
		}
	})
	return b
}

// TestBehaviour runs the router's behaviour suite on every transport through the
// topology-routed bus. Each case uses its own topics, groups and instances, so cases
// run in parallel.
func TestBehaviour(t *testing.T) {
	for _, r := range transporttest.Routes() {
		t.Run(r.Name, func(t *testing.T) {
			// An in-process broker cannot be shared by two buses: one instance.
			h := harness{transport: r.YAML, open: openBus, instances: 2}
			if r.InProcess {
				h.instances = 1
			}
			for _, c := range suiteCases {
				if c.crossProcess && h.instances < 2 {
					continue // the in-process broker cannot be shared by two processes
				}
				if c.publishesWhileHandling && r.LocksWhileHandling {
					t.Run(c.name, func(t *testing.T) {
						t.Skip("a handler publishing to this transport waits for the write lock its own delivery holds (transporttest.Route.LocksWhileHandling)")
					})
					continue
				}
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, h)
				})
			}
		})
	}
}
