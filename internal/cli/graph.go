package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/topology"
)

func newGraphCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "graph [FILE|PROFILE]",
		Short: "Draw the transports, topics and handlers of a topology (Mermaid or Graphviz dot)",
		Long: `Graph prints a flowchart of a topology: each transport as a box holding its topics,
outboxes feeding their topics, each topic feeding its handlers (an edge labelled filter
when the handler has one), each route as an edge from the topics it consumes to the topic
it forwards to, and each handler's and route's poison topic. Mermaid renders on GitHub inside a mermaid code block; dot renders with Graphviz
(dot -Tsvg).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var write func(io.Writer, *topology.Topology) error
			switch format {
			case "mermaid":
				write = writeMermaid
			case "dot":
				write = writeDot
			default:
				return fmt.Errorf("--format %q: want mermaid or dot", format)
			}
			topo, err := config.Load(sourceArg(args))
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return silent
			}
			return Fail(write(cmd.OutOrStdout(), topo))
		},
	}
	cmd.Flags().StringVar(&format, "format", "mermaid", "output format: mermaid or dot")
	return cmd
}

// graph is a topology reduced to what a picture shows.
type graph struct {
	// topics by transport, in topology order.
	topics map[string][]*topology.Topic
	// edges in a stable order: outbox → topic, topic → handler, handler → poison topic,
	// topic → topic (routes), topic → poison topic (routes).
	edges []edge
}

type edge struct {
	from, to string // node ids
	label    string
}

func buildGraph(topo *topology.Topology) graph {
	g := graph{topics: make(map[string][]*topology.Topic)}
	for _, t := range topo.Topics {
		g.topics[t.Transport] = append(g.topics[t.Transport], t)
		if t.Outbox != "" {
			g.edges = append(g.edges, edge{from: outboxID(t.Outbox), to: topicID(t.Name), label: "outbox"})
		}
	}
	for _, h := range topo.Handlers {
		for _, t := range h.Topics {
			// A concrete handler topic may live under a pattern entry: draw the edge from
			// the entry that carries it.
			from := t
			if tp, err := topo.Resolve(t); err == nil {
				from = tp.Name
			}
			label := ""
			if h.Filter != nil {
				label = "filter"
			}
			g.edges = append(g.edges, edge{from: topicID(from), to: handlerID(h.Name), label: label})
			if p := h.PoisonTopicFor(t); p != "" {
				if tp, err := topo.Resolve(p); err == nil {
					p = tp.Name
				}
				g.edges = append(g.edges, edge{from: handlerID(h.Name), to: topicID(p), label: "poison"})
			}
		}
	}
	for _, r := range topo.Routes {
		label := "route " + r.Name
		if r.Filter != nil {
			label += " (filter)"
		}
		to := r.To
		if tp, err := topo.Resolve(to); err == nil {
			to = tp.Name
		}
		for _, t := range r.Topics {
			from := t
			if tp, err := topo.Resolve(t); err == nil {
				from = tp.Name
			}
			g.edges = append(g.edges, edge{from: topicID(from), to: topicID(to), label: label})
			if p := r.PoisonTopicFor(t); p != "" {
				if tp, err := topo.Resolve(p); err == nil {
					p = tp.Name
				}
				g.edges = append(g.edges, edge{from: topicID(from), to: topicID(p), label: "route " + r.Name + " poison"})
			}
		}
	}
	return g
}

func (g graph) outboxes() []string {
	seen := make(map[string]bool)
	for _, ts := range g.topics {
		for _, t := range ts {
			if t.Outbox != "" {
				seen[t.Outbox] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// Node ids use only letters, digits and underscores, which both formats accept.
func nodeID(prefix, name string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "_%x_", r)
		}
	}
	return b.String()
}

func topicID(name string) string   { return nodeID("t_", name) }
func handlerID(name string) string { return nodeID("h_", name) }
func outboxID(name string) string  { return nodeID("o_", name) }

func writeMermaid(w io.Writer, topo *topology.Topology) error {
	g := buildGraph(topo)
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for _, name := range slices.Sorted(maps.Keys(g.topics)) {
		fmt.Fprintf(&b, "  subgraph %s[\"%s (%s)\"]\n", nodeID("x_", name), name, topo.Transports[name].Kind)
		for _, t := range g.topics[name] {
			fmt.Fprintf(&b, "    %s[\"%s%s\"]\n", topicID(t.Name), t.Name, topicNote(t))
		}
		b.WriteString("  end\n")
	}
	for _, o := range g.outboxes() {
		fmt.Fprintf(&b, "  %s[(\"%s outbox\")]\n", outboxID(o), o)
	}
	for _, h := range topo.Handlers {
		fmt.Fprintf(&b, "  %s([\"%s%s\"])\n", handlerID(h.Name), h.Name, handlerNote(h))
	}
	for _, e := range g.edges {
		switch {
		case strings.Contains(e.label, "--"):
			// Unquoted, "--" in a label (a route named a--x) would end the label or
			// start an arrow; quoted text is read whole.
			fmt.Fprintf(&b, "  %s -- \"%s\" --> %s\n", e.from, e.label, e.to)
		case e.label != "":
			fmt.Fprintf(&b, "  %s -- %s --> %s\n", e.from, e.label, e.to)
		default:
			fmt.Fprintf(&b, "  %s --> %s\n", e.from, e.to)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDot(w io.Writer, topo *topology.Topology) error {
	g := buildGraph(topo)
	var b strings.Builder
	b.WriteString("digraph topology {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n")
	for _, name := range slices.Sorted(maps.Keys(g.topics)) {
		fmt.Fprintf(&b, "  subgraph cluster_%s {\n    label=%q;\n", nodeID("", name), fmt.Sprintf("%s (%s)", name, topo.Transports[name].Kind))
		for _, t := range g.topics[name] {
			fmt.Fprintf(&b, "    %s [label=%q, shape=box];\n", topicID(t.Name), t.Name+topicNote(t))
		}
		b.WriteString("  }\n")
	}
	for _, o := range g.outboxes() {
		fmt.Fprintf(&b, "  %s [label=%q, shape=cylinder];\n", outboxID(o), o+" outbox")
	}
	for _, h := range topo.Handlers {
		fmt.Fprintf(&b, "  %s [label=%q, shape=ellipse];\n", handlerID(h.Name), h.Name+handlerNote(h))
	}
	for _, e := range g.edges {
		if e.label != "" {
			fmt.Fprintf(&b, "  %s -> %s [label=%q];\n", e.from, e.to, e.label)
		} else {
			fmt.Fprintf(&b, "  %s -> %s;\n", e.from, e.to)
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// topicNote marks broadcast topics in pictures.
func topicNote(t *topology.Topic) string {
	if t.Delivery == topology.Broadcast {
		return " (broadcast)"
	}
	return ""
}

// handlerNote marks filtered handlers in pictures.
func handlerNote(h *topology.Handler) string {
	if h.Filter != nil {
		return " (filtered)"
	}
	return ""
}
