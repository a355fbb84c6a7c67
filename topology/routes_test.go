package topology_test

import (
	"strings"
	"testing"

	"github.com/millrace/millrace/topology"
)

// routed is a topology with a filtered handler and a route between transports.
var routed = withBase(
	"  orders.created: {transport: rabbit}",
	"  orders.completed: {transport: rabbit}",
	"  review.big-orders: {transport: pg}",
	"  chat.messages: {transport: mem, delivery: broadcast}",
	"defaults:",
	"  group: everyone",
	"  retry: {max_attempts: 3}",
	"handlers:",
	"  order-processor:",
	`    topic: "orders.*"`,
	"    group: order-processor",
	"    filter: {source: [orders], type: [Order Created, Order Completed]}",
	"routes:",
	"  big-orders:",
	`    from: "orders.*"`,
	`    filter: {data: {total: [{numeric: [">", 1000]}]}}`,
	"    to: review.big-orders",
	"    retry: {max_attempts: 4}",
)

func TestFilterAndRouteLoad(t *testing.T) {
	tp := mustParse(t, routed, nil)
	h, ok := tp.Handler("order-processor")
	if !ok || h.Filter == nil {
		t.Fatalf("handler order-processor: %+v, filter missing", h)
	}
	if got := h.Filter.String(); !strings.Contains(got, `"Order Completed"`) || !strings.Contains(got, `"source"`) {
		t.Errorf("handler filter = %s", got)
	}
	if len(tp.Routes) != 1 {
		t.Fatalf("routes = %d, want 1", len(tp.Routes))
	}
	r, ok := tp.Route("big-orders")
	if !ok || r != tp.Routes[0] {
		t.Fatalf("Route(big-orders) = %v, %v", r, ok)
	}
	if r.To != "review.big-orders" || strings.Join(r.Topics, ",") != "orders.created,orders.completed" {
		t.Errorf("route to %q from %v", r.To, r.Topics)
	}
	if r.Policy.Group != "big-orders" {
		t.Errorf("route group = %q, want its name whatever the defaults say", r.Policy.Group)
	}
	if r.Policy.Retry.MaxAttempts != 4 {
		t.Errorf("route retry = %d attempts, want 4", r.Policy.Retry.MaxAttempts)
	}
	if r.Filter == nil || !r.Filter.UsesData() {
		t.Errorf("route filter %v does not name data", r.Filter)
	}
	if got := r.PoisonTopicFor("orders.created"); got != "orders.created.poison" {
		t.Errorf("route poison topic = %q", got)
	}
	if _, err := tp.Resolve("orders.created.poison"); err != nil {
		t.Errorf("route poison topic not derived: %v", err)
	}
	if _, ok := tp.Handler("big-orders"); ok {
		t.Error("a route is listed as a handler")
	}
}

// badRoutes are topologies whose filters or routes are wrong, with the first problem's
// "line:col: field" and part of its message (lines 1-6 are base). TestMalformed runs them
// and FuzzParse seeds its corpus with them.
var badRoutes = []struct {
	name string
	src  string
	// want is "line:col: field" of the first problem; msg is part of its message.
	want, msg string
}{
	{"filter leaf not an array", withBase("  a.b: {transport: mem}", "handlers:", "  h:", "    topic: a.b", "    filter: {source: orders}"),
		"11:22: handlers.h.filter.source", "list"},
	{"filter unknown operator", withBase("  a.b: {transport: mem}", "handlers:", "  h:", "    topic: a.b", "    filter:", "      data:", "        n: [{numerc: [\">\", 1]}]"),
		"13:14: handlers.h.filter.data.n", "numerc"},
	{"filter detail-type", withBase("  a.b: {transport: mem}", "handlers:", "  h:", "    topic: a.b", "    filter: {detail-type: [X]}"),
		"11:14: handlers.h.filter.detail-type", "type"},
	{"route without to", withBase("  a.b: {transport: mem}", "routes:", "  r: {from: a.b}"),
		"9:3: routes.r.to", "to is required"},
	{"route without from", withBase("  a.b: {transport: mem}", "routes:", "  r: {to: a.b}"),
		"9:3: routes.r.from", "from is required"},
	{"route to undeclared", withBase("  a.b: {transport: mem}", "  a.c: {transport: pg}", "routes:", "  r: {from: a.b, to: a.cc}"),
		"10:22: routes.r.to", `did you mean "a.c"?`},
	{"route to glob", withBase("  a.b: {transport: mem}", "routes:", `  r: {from: a.b, to: "a.*"}`),
		"9:22: routes.r.to", "one concrete topic"},
	{"route feeds itself", withBase("  a.b: {transport: mem}", "  a.c: {transport: pg}", "routes:", `  r: {from: "a.*", to: a.c}`),
		"10:24: routes.r.to", "would be forwarded again"},
	{"routes loop", withBase("  a.b: {transport: mem}", "  a.c: {transport: pg}", "routes:", "  r1: {from: a.b, to: a.c}", "  r2: {from: a.c, to: a.b}"),
		"10:23: routes.r1.to", "routes r1 -> r2 -> r1 form a loop"},
	{"route from broadcast", withBase("  a.b: {transport: mem, delivery: broadcast}", "  a.c: {transport: pg}", "routes:", "  r: {from: a.b, to: a.c}"),
		"10:13: routes.r.from", "broadcast"},
	{"route named like a handler", withBase("  a.b: {transport: mem}", "  a.c: {transport: pg}", "handlers:", "  x: {topic: a.b}", "routes:", "  x: {from: a.b, to: a.c}"),
		"12:3: routes.x", "name of the handler at line 10"},
	{"route group key", withBase("  a.b: {transport: mem}", "  a.c: {transport: pg}", "routes:", "  r: {from: a.b, to: a.c, group: g}"),
		"10:27: routes.r.group", `unknown key "group"`},
	{"route within one SQLite file", lines("version: 1", "transports:", `  lite: {kind: sql, dialect: sqlite, dsn: "file:x.db"}`, "topics:", "  a.b: {transport: lite}", "  a.c: {transport: lite}", "routes:", "  r: {from: a.b, to: a.c}"),
		"8:22: routes.r.to", "would wait for itself"},
	{"route filter invalid", withBase("  a.b: {transport: mem}", "  a.c: {transport: pg}", "routes:", "  r:", "    from: a.b", "    to: a.c", "    filter: {$or: [{source: [x]}]}"),
		"13:19: routes.r.filter.$or", "$or"},
}

// TestRouteToPatternTopic checks that a route may forward to a topic that only a
// pattern entry covers, on another transport.
func TestRouteToPatternTopic(t *testing.T) {
	tp := mustParse(t, withBase(
		"  a.b: {transport: mem}",
		`  "tenant.*.orders": {transport: pg}`,
		"routes:",
		"  r: {from: a.b, to: tenant.acme.orders}",
	), nil)
	r, _ := tp.Route("r")
	if r == nil || r.To != "tenant.acme.orders" {
		t.Fatalf("route = %+v", r)
	}
	if tpc, err := tp.Resolve(r.To); err != nil || tpc.Transport != "pg" {
		t.Errorf("to resolves to %v, %v", tpc, err)
	}
	var _ *topology.Route = r
}

// TestFilterIsLiteral checks that ${VAR} inside a filter is not expanded: a pattern is
// matched as written.
func TestFilterIsLiteral(t *testing.T) {
	tp := mustParse(t, withBase(
		"  a.b: {transport: mem}",
		"handlers:",
		`  h: {topic: a.b, filter: {source: ["${SOURCE}"]}}`,
	), map[string]string{"SOURCE": "orders"})
	h, _ := tp.Handler("h")
	if got := h.Filter.String(); !strings.Contains(got, `"${SOURCE}"`) {
		t.Errorf("filter = %s, want the literal ${SOURCE}", got)
	}
}
