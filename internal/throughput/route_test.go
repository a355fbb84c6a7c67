package throughput

import (
	"fmt"
	"strings"
	"testing"

	"github.com/millrace/millrace/topology"
)

// benchFilter matches every event the benchmarks publish, by attributes only.
const benchFilter = `{source: [millrace/throughput], type: [{prefix: "bench.tick"}]}`

// benchRouteFilter matches every event the benchmarks publish, naming one attribute and
// one field of the payload.
const benchRouteFilter = `{type: [{prefix: "bench.tick"}], data: {text: [tick]}}`

// BenchmarkRoute measures what content-based routing costs, on each transport, against
// the whole millrace stack with a plain handler (path "plain"):
//
//   - "filtered": the handler has an attribute filter that matches every event;
//   - "routed": a route with a filter matching every event (one attribute, one payload
//     field) forwards each event to a second topic of the same transport, where the
//     plain handler consumes it;
//   - "routed-c4": the same route with concurrency 4, since a route waits for each
//     forward to be published (a broker confirm, an insert) before it takes the next;
//   - "routed-to-memory" (transports other than memory): the same route forwards to a
//     topic of the in-memory transport instead.
//
// Every path handles the same number of messages; ratio-* compare each path with plain.
func BenchmarkRoute(b *testing.B) {
	for _, r := range routes {
		b.Run(r.name, func(b *testing.B) {
			transportYAML := r.yaml(b)
			paths := []path{
				{"plain", func(topic string) runner {
					return newStack(b, benchTopology(b, transportYAML, topic), topic)
				}},
				{"filtered", func(topic string) runner {
					return newStack(b, benchTopologyWith(b, transportYAML, topic, ", filter: "+benchFilter), topic)
				}},
				{"routed", func(topic string) runner {
					return newStack(b, routedTopology(b, transportYAML, topic, false, 1), topic)
				}},
				{"routed-c4", func(topic string) runner {
					return newStack(b, routedTopology(b, transportYAML, topic, false, 4), topic)
				}},
			}
			if r.name != "memory" {
				paths = append(paths, path{"routed-to-memory", func(topic string) runner {
					return newStack(b, routedTopology(b, transportYAML, topic, true, 1), topic)
				}})
			}
			rates := runRounds(b, paths)
			b.ReportMetric(medianRatio(rates["filtered"], rates["plain"]), "ratio-filtered")
			b.ReportMetric(medianRatio(rates["routed"], rates["plain"]), "ratio-routed")
			b.ReportMetric(medianRatio(rates["routed-c4"], rates["plain"]), "ratio-routed-c4")
			if rm, ok := rates["routed-to-memory"]; ok {
				b.ReportMetric(medianRatio(rm, rates["plain"]), "ratio-routed-to-memory")
			}
		})
	}
}

// routedTopology returns a topology whose route bench-route forwards what topic carries,
// through benchRouteFilter, to routedTo(topic, toMemory), which the handler
// bench-consumer consumes. The destination is on the transport "t", or with toMemory on
// the in-memory transport "mem".
func routedTopology(tb testing.TB, transportYAML, topic string, toMemory bool, concurrency int) *topology.Topology {
	tb.Helper()
	to := routedTo(topic, toMemory)
	return parseBench(tb, fmt.Sprintf(`version: 1
transports:
  t: %s
  mem: {kind: gochannel}
topics:
  bench.*: {transport: t}
  benchmem.*: {transport: mem}
defaults:
  retry: {max_attempts: 3, initial_interval: 10ms, max_interval: 100ms}
  timeout: 30s
routes:
  bench-route: {from: %s, filter: %s, to: %s, concurrency: %d}
handlers:
  bench-consumer: {topic: %s}
`, transportYAML, topic, benchRouteFilter, to, concurrency, to))
}

// routedTo is the topic the route of routedTopology forwards topic to.
func routedTo(topic string, toMemory bool) string {
	if toMemory {
		return "benchmem." + strings.TrimPrefix(topic, "bench.")
	}
	return topic + "-routed"
}
