package router_test

import (
	"fmt"
	"testing"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// openBus opens a bus for one instance and closes it when the test ends (after the
// routers and probes, whose cleanups run first).
func openBus(t *testing.T, topo *topology.Topology, instance string) router.Bus {
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

// transports returns the transports of the behaviour suite, each as a harness;
// services that are down skip the test (or fail it under CI=true).
func transports() []struct {
	name    string
	harness func(t *testing.T) harness
} {
	return []struct {
		name    string
		harness func(t *testing.T) harness
	}{
		{"memory", func(*testing.T) harness {
			// One process, one broker: buses do not share it, so one instance.
			return harness{transport: `{kind: gochannel}`, open: openBus, instances: 1}
		}},
		{"amqp", func(t *testing.T) harness {
			return harness{transport: fmt.Sprintf(`{kind: amqp, url: %q}`, testenv.RabbitMQ(t)), open: openBus, instances: 2}
		}},
		{"redisstream", func(t *testing.T) harness {
			return harness{transport: fmt.Sprintf(`{kind: redisstream, addr: %q, block_time: 50ms}`, testenv.Redis(t)), open: openBus, instances: 2}
		}},
		{"postgres", func(t *testing.T) harness {
			return harness{transport: fmt.Sprintf(`{kind: sql, dialect: postgres, dsn: %q, poll_interval: 50ms}`, testenv.Postgres(t)), open: openBus, instances: 2}
		}},
		{"mysql", func(t *testing.T) harness {
			return harness{transport: fmt.Sprintf(`{kind: sql, dialect: mysql, dsn: %q, poll_interval: 50ms}`, testenv.MySQL(t)), open: openBus, instances: 2}
		}},
	}
}

// TestBehaviour runs the router's behaviour suite on every transport through the
// topology-routed bus. Each case uses its own topics, groups and instances, so cases
// run in parallel.
func TestBehaviour(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			h := tr.harness(t)
			for _, c := range suiteCases {
				if c.crossProcess && h.instances < 2 {
					continue // the in-process broker cannot be shared by two processes
				}
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, h)
				})
			}
		})
	}
}
