package topology_test

import (
	"testing"

	"github.com/millrace/millrace/topology"
)

func TestWithTopicPrefix(t *testing.T) {
	topo, err := topology.Parse("p.yaml", []byte(`version: 1
transports:
  mem: {kind: gochannel}
topics:
  orders.placed: {transport: mem}
  "tenant.*.orders": {transport: mem, delivery: broadcast}
  tenant.acme.orders: {transport: mem}
  dead: {transport: mem}
defaults:
  poison: {topic: "{topic}.poison"}
handlers:
  ship: {topic: "orders.*"}
  audit: {topic: "tenant.*.orders", poison: {topic: dead}}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := topo.WithTopicPrefix("t1.")
	for _, tc := range []struct{ topic, want string }{
		{"t1.orders.placed", "t1.orders.placed"},
		{"t1.tenant.beta.orders", "t1.tenant.*.orders"},
		{"t1.orders.placed.poison", "t1.orders.placed.poison"},
	} {
		tp, err := p.Resolve(tc.topic)
		if err != nil || tp.Name != tc.want {
			t.Errorf("Resolve(%s) = %v, %v; want entry %s", tc.topic, tp, err, tc.want)
		}
	}
	for _, topic := range []string{"orders.placed", "tenant.beta.orders", "dead"} {
		if _, err := p.Resolve(topic); err == nil {
			t.Errorf("%s still declared", topic)
		}
	}
	ship, _ := p.Handler("ship")
	if len(ship.Topics) != 1 || ship.Topics[0] != "t1.orders.placed" || ship.Policy.Group != "ship" {
		t.Errorf("ship: topics %v group %s", ship.Topics, ship.Policy.Group)
	}
	if got := ship.PoisonTopicFor(ship.Topics[0]); got != "t1.orders.placed.poison" {
		t.Errorf("ship poisons to %s", got)
	}
	audit, _ := p.Handler("audit")
	if audit.Pattern != "t1.tenant.*.orders" || audit.PoisonTopicFor("t1.tenant.acme.orders") != "t1.dead" {
		t.Errorf("audit: pattern %s, poison %s", audit.Pattern, audit.PoisonTopicFor("t1.tenant.acme.orders"))
	}
	// The original is unchanged.
	if _, err := topo.Resolve("orders.placed"); err != nil {
		t.Errorf("original lost orders.placed: %v", err)
	}
	if h, _ := topo.Handler("ship"); h.Topics[0] != "orders.placed" {
		t.Errorf("original handler topics %v", h.Topics)
	}
}
