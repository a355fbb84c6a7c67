package cli

import (
	"os"
	"strings"
	"testing"
)

func TestGraphDrawsTopicsHandlersAndPoison(t *testing.T) {
	file := writeFile(t, "g.yaml", `version: 1
transports:
  mq: {kind: amqp, url: "amqp://guest:guest@127.0.0.1:5672/"}
  db: {kind: sql, dialect: postgres, dsn: "postgres://root@127.0.0.1/test"}
topics:
  orders.placed: {transport: mq, outbox: db}
  tenant.*.audit: {transport: db}
handlers:
  bill: {topic: orders.placed}
  audit: {topic: tenant.acme.audit}
`)
	code, mermaid, stderr := runCLI(t, "topology", "graph", file)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"flowchart LR",
		`subgraph x_mq["mq (amqp)"]`,
		`subgraph x_db["db (sql)"]`,
		`o_db -- outbox --> t_orders_2e_placed`,
		`t_orders_2e_placed --> h_bill`,
		`h_bill -- poison --> t_orders_2e_placed_2e_poison`,
		// A handler topic served by a pattern entry hangs off the pattern.
		`t_tenant_2e__2a__2e_audit --> h_audit`,
	} {
		if !strings.Contains(mermaid, want) {
			t.Errorf("mermaid lacks %q:\n%s", want, mermaid)
		}
	}

	code, dot, stderr := runCLI(t, "topology", "graph", "--format", "dot", file)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"digraph topology {",
		`label="mq (amqp)";`,
		`o_db [label="db outbox", shape=cylinder];`,
		`h_bill -> t_orders_2e_placed_2e_poison [label="poison"];`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("dot lacks %q:\n%s", want, dot)
		}
	}
	if strings.Count(dot, "{") != strings.Count(dot, "}") {
		t.Errorf("unbalanced braces in dot output:\n%s", dot)
	}

	if code, _, _ := runCLI(t, "topology", "graph", "--format", "svg", file); code != ExitUsage {
		t.Errorf("unknown format: exit %d, want %d", code, ExitUsage)
	}
}

// TestReadmeGraphIsCurrent keeps README.md's picture of the production profile equal to
// what `millrace topology graph production` draws.
func TestReadmeGraphIsCurrent(t *testing.T) {
	code, graph, stderr := runCLI(t, "topology", "graph", "production")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```mermaid\n"+graph+"```\n") {
		t.Errorf("README.md's mermaid picture differs from `millrace topology graph production`; paste its output:\n%s", graph)
	}
}

// TestGraphDrawsRoutesAndFilters: a route is an edge between the topics it connects,
// labelled with its name; a filtered handler is marked and its edge labelled filter.
func TestGraphDrawsRoutesAndFilters(t *testing.T) {
	file := writeFile(t, "orders.yaml", rulesTopology)
	code, mermaid, stderr := runCLI(t, "topology", "graph", file)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`t_orders_2e_created -- route big-orders (filter) --> t_review_2e_big_2d_orders`,
		`t_orders_2e_completed -- route big-orders (filter) --> t_review_2e_big_2d_orders`,
		`t_orders_2e_created -- route big-orders poison --> t_orders_2e_created_2e_poison`,
		`h_order_2d_processor(["order-processor (filtered)"])`,
		`h_reviewer(["reviewer"])`,
		`t_orders_2e_created -- filter --> h_order_2d_processor`,
		`t_review_2e_big_2d_orders --> h_reviewer`,
	} {
		if !strings.Contains(mermaid, want) {
			t.Errorf("mermaid lacks %q:\n%s", want, mermaid)
		}
	}
	// A route is no handler: it has no node of its own.
	if strings.Contains(mermaid, "h_big_2d_orders") {
		t.Errorf("mermaid draws the route as a handler:\n%s", mermaid)
	}

	code, dot, stderr := runCLI(t, "topology", "graph", "--format", "dot", file)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`t_orders_2e_created -> t_review_2e_big_2d_orders [label="route big-orders (filter)"];`,
		`t_orders_2e_completed -> t_review_2e_big_2d_orders [label="route big-orders (filter)"];`,
		`h_order_2d_processor [label="order-processor (filtered)", shape=ellipse];`,
		`h_reviewer [label="reviewer", shape=ellipse];`,
		`t_orders_2e_created -> h_order_2d_processor [label="filter"];`,
		`t_review_2e_big_2d_orders -> h_reviewer;`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("dot lacks %q:\n%s", want, dot)
		}
	}
	if strings.Contains(dot, "h_big_2d_orders") {
		t.Errorf("dot draws the route as a handler:\n%s", dot)
	}

	// A route without a filter is labelled with its name alone.
	plain := writeFile(t, "plain.yaml", strings.Replace(rulesTopology,
		`    filter: {data: {order: {total: [{numeric: [">", 1000]}]}}}`+"\n", "", 1))
	_, mermaid, _ = runCLI(t, "topology", "graph", plain)
	if !strings.Contains(mermaid, `t_orders_2e_created -- route big-orders --> t_review_2e_big_2d_orders`) {
		t.Errorf("unfiltered route: mermaid lacks its edge labelled with its name:\n%s", mermaid)
	}

	// "--" in a Mermaid label would end it (or, as --x, start an arrow): such a label
	// is quoted.
	dashes := writeFile(t, "dashes.yaml", strings.Replace(rulesTopology, "  big-orders:\n", "  big--x:\n", 1))
	code, mermaid, stderr = runCLI(t, "topology", "graph", dashes)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`t_orders_2e_created -- "route big--x (filter)" --> t_review_2e_big_2d_orders`,
		`t_orders_2e_created -- "route big--x poison" --> t_orders_2e_created_2e_poison`,
	} {
		if !strings.Contains(mermaid, want) {
			t.Errorf("mermaid lacks %q:\n%s", want, mermaid)
		}
	}
}
