package cli

import (
	"strings"
	"testing"
)

// orderEvent is a CloudEvents envelope of an order with a nested total and an array of
// line items.
const orderEvent = `{"specversion": "1.0", "id": "e-1", "source": "orders", "type": "Order Created",
 "data": {"order": {"total": 250, "currency": "EUR"}, "items": [{"sku": "pen-1", "qty": 3}, {"sku": "book-42", "qty": 1}]}}`

// rulesTopology has a filtered handler, a handler without a filter and a filtered
// route.
const rulesTopology = `version: 1
transports:
  mem: {kind: gochannel}
topics:
  orders.created: {transport: mem}
  orders.completed: {transport: mem}
  review.big-orders: {transport: mem}
handlers:
  order-processor:
    topic: "orders.*"
    filter: {source: [orders], type: [Order Created, Order Completed]}
  reviewer:
    topic: review.big-orders
routes:
  big-orders:
    from: "orders.*"
    filter: {data: {order: {total: [{numeric: [">", 1000]}]}}}
    to: review.big-orders
`

// rulesTest runs `millrace rules test` with args and fails unless it exits with want.
func rulesTest(t *testing.T, want int, args ...string) (string, string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"rules", "test"}, args...)...)
	if code != want {
		t.Fatalf("rules test %q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, stdout, stderr)
	}
	return stdout, stderr
}

func TestRulesTestMatch(t *testing.T) {
	stdout, stderr := rulesTest(t, ExitOK, "--pattern", `{"source": ["orders"], "type": ["Order Created"]}`, "--event", orderEvent)
	if stdout != "match\n" || stderr != "" {
		t.Errorf("stdout %q, stderr %q; want \"match\" and nothing on stderr", stdout, stderr)
	}
}

// TestRulesTestNoMatchNamesFirstField: the failing field is the first one in the
// pattern, attributes before payload fields.
func TestRulesTestNoMatchNamesFirstField(t *testing.T) {
	for _, c := range []struct {
		name, pattern, want string
	}{
		{"one attribute", `{"source": ["orders"], "type": ["Order Shipped"]}`,
			`no match: type: "Order Created" is not one of ["Order Shipped"]`},
		{"two attributes fail", `{"source": ["billing"], "type": ["Order Shipped"]}`,
			`no match: source: "orders" is not one of ["billing"]`},
		{"attribute before data", `{"data": {"order": {"currency": ["USD"]}}, "type": ["Order Shipped"]}`,
			`no match: type: "Order Created" is not one of ["Order Shipped"]`},
		{"missing attribute", `{"subject": ["x"]}`, `no match: subject: is missing`},
		{"no branch of $or", `{"$or": [{"source": ["billing"]}, {"data": {"order": {"total": [{"numeric": ["<", 10]}]}}}]}`,
			`no match: $or: no branch matched: source: "orders" is not one of ["billing"]; data.order.total: 250 does not match`},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, _ := rulesTest(t, ExitFailure, "--pattern", c.pattern, "--event", orderEvent)
			if !strings.HasPrefix(stdout, c.want) || strings.Count(stdout, "\n") != 1 {
				t.Errorf("stdout %q, want one line starting %q", stdout, c.want)
			}
		})
	}
}

// TestRulesTestDataPattern: numeric conditions on a nested payload field and a field
// under an array of objects, looked for in every element.
func TestRulesTestDataPattern(t *testing.T) {
	pat := `{"data": {"order": {"total": [{"numeric": [">=", 100, "<", 1000]}]}, "items": {"sku": [{"prefix": "book-"}]}}}`
	if stdout, _ := rulesTest(t, ExitOK, "--pattern", pat, "--event", orderEvent); stdout != "match\n" {
		t.Errorf("stdout %q, want match", stdout)
	}

	big := strings.Replace(orderEvent, `"total": 250`, `"total": 1000`, 1)
	stdout, _ := rulesTest(t, ExitFailure, "--pattern", pat, "--event", big)
	if want := `no match: data.order.total: 1000 does not match`; !strings.HasPrefix(stdout, want) {
		t.Errorf("total 1000: stdout %q, want it to start %q", stdout, want)
	}

	// A string that looks like a number is not one.
	quoted := strings.Replace(orderEvent, `"total": 250`, `"total": "250"`, 1)
	stdout, _ = rulesTest(t, ExitFailure, "--pattern", pat, "--event", quoted)
	if !strings.HasPrefix(stdout, "no match: data.order.total: ") {
		t.Errorf("total \"250\": stdout %q, want data.order.total to fail", stdout)
	}

	pens := strings.Replace(orderEvent, `"book-42"`, `"pen-2"`, 1)
	stdout, _ = rulesTest(t, ExitFailure, "--pattern", pat, "--event", pens)
	want := `no match: data.items.sku: none of "pen-1", "pen-2" matches`
	if !strings.HasPrefix(stdout, want) {
		t.Errorf("no book: stdout %q, want it to start %q", stdout, want)
	}
}

// TestRulesTestInvalidPattern: every problem of a pattern, JSON or YAML, is printed as
// where:line:col: field: message, and the exit status is 2.
func TestRulesTestInvalidPattern(t *testing.T) {
	// JSON: the source's value is not a list; the numeric bound is not a number.
	stdout, stderr := rulesTest(t, ExitUsage, "--pattern",
		`{"source": "orders",`+"\n"+` "data": {"total": [{"numeric": [">", "x"]}]}}`, "--event", orderEvent)
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	for _, want := range []string{"--pattern:1:12: source: ", "--pattern:2:39: data.total: "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	yamlPattern := writeFile(t, "p.yaml", "source: [orders]\ndata:\n  order:\n    total: [{numeric: [\">\", \"x\"]}]\n")
	_, stderr = rulesTest(t, ExitUsage, "--pattern", "@"+yamlPattern, "--event", orderEvent)
	if want := yamlPattern + ":4:29: data.order.total: "; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}

	// An EventBridge field that CloudEvents calls otherwise.
	_, stderr = rulesTest(t, ExitUsage, "--pattern", `{"detail-type": ["x"]}`, "--event", orderEvent)
	if !strings.Contains(stderr, "--pattern:1:2: ") || !strings.Contains(stderr, "type") {
		t.Errorf("detail-type: stderr %q, want its position and the CloudEvents name", stderr)
	}

	// Invalid syntax.
	_, stderr = rulesTest(t, ExitUsage, "--pattern", `{"source": ["orders"]`, "--event", orderEvent)
	if !strings.HasPrefix(stderr, "--pattern:1:") {
		t.Errorf("unclosed object: stderr %q, want a position", stderr)
	}
}

func TestRulesTestInvalidEvent(t *testing.T) {
	pat := `{"source": ["orders"]}`
	for _, c := range []struct {
		name, event, want string
	}{
		{"attribute not a string", `{"specversion": "1.0", "source": 5}`, `--event:1:34: attribute "source" is not a string`},
		{"syntax", "{\"source\": \"orders\",\n  \"type\": }", "--event:2:11: invalid JSON"},
		{"not an object", `["orders"]`, "--event:1:1: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr := rulesTest(t, ExitUsage, "--pattern", pat, "--event", c.event)
			if stdout != "" || !strings.HasPrefix(stderr, c.want) {
				t.Errorf("stdout %q, stderr %q; want stderr to start %q", stdout, stderr, c.want)
			}
		})
	}
	file := writeFile(t, "event.json", "{\n  \"source\": true\n}\n")
	if _, stderr := rulesTest(t, ExitUsage, "--pattern", pat, "--event", "@"+file); !strings.HasPrefix(stderr, file+":2:13: ") {
		t.Errorf("stderr %q, want it to start %s:2:13:", stderr, file)
	}
}

func TestRulesTestFiles(t *testing.T) {
	pat := writeFile(t, "pattern.json", `{"type": [{"prefix": "Order "}], "data": {"items": {"qty": [{"numeric": [">", 2]}]}}}`)
	ev := writeFile(t, "event.json", orderEvent)
	if stdout, _ := rulesTest(t, ExitOK, "--pattern", "@"+pat, "--event", "@"+ev); stdout != "match\n" {
		t.Errorf("stdout %q, want match", stdout)
	}
	small := writeFile(t, "small.json", strings.Replace(orderEvent, `"qty": 3`, `"qty": 2`, 1))
	if stdout, _ := rulesTest(t, ExitFailure, "--pattern", "@"+pat, "--event", "@"+small); !strings.HasPrefix(stdout, "no match: data.items.qty: ") {
		t.Errorf("stdout %q, want data.items.qty to fail", stdout)
	}
	if _, stderr := rulesTest(t, ExitUsage, "--pattern", "@"+pat+".missing", "--event", "@"+ev); !strings.Contains(stderr, "--pattern") {
		t.Errorf("missing pattern file: stderr %q, want it to name --pattern", stderr)
	}
	if _, stderr := rulesTest(t, ExitUsage, "--pattern", "@"+pat, "--event", "@"+ev+".missing"); !strings.Contains(stderr, "--event") {
		t.Errorf("missing event file: stderr %q, want it to name --event", stderr)
	}
}

// TestRulesTestTopology tests the filters a topology gives a handler and a route.
func TestRulesTestTopology(t *testing.T) {
	topo := writeFile(t, "orders.yaml", rulesTopology)
	shipped := strings.Replace(orderEvent, "Order Created", "Order Shipped", 1)
	big := strings.Replace(orderEvent, `"total": 250`, `"total": 5000`, 1)
	for _, c := range []struct {
		name  string
		args  []string
		event string
		code  int
		want  string
	}{
		{"handler match", []string{"--handler", "order-processor"}, orderEvent, ExitOK, "match\n"},
		{"handler no match", []string{"--handler", "order-processor"}, shipped, ExitFailure,
			`no match: type: "Order Shipped" is not one of ["Order Created","Order Completed"]` + "\n"},
		{"handler without filter", []string{"--handler", "reviewer"}, shipped, ExitOK, "match (no filter)\n"},
		{"route match", []string{"--route", "big-orders"}, big, ExitOK, "match\n"},
		{"route no match", []string{"--route", "big-orders"}, orderEvent, ExitFailure,
			`no match: data.order.total: 250 does not match [{"numeric":[">",1000]}]` + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"--topology", topo, "--event", c.event}, c.args...)
			if stdout, _ := rulesTest(t, c.code, args...); stdout != c.want {
				t.Errorf("stdout %q, want %q", stdout, c.want)
			}
		})
	}
}

func TestRulesTestUsageErrors(t *testing.T) {
	topo := writeFile(t, "orders.yaml", rulesTopology)
	bad := writeFile(t, "bad.yaml", strings.Replace(rulesTopology, "source: [orders]", "source: orders", 1))
	for _, c := range []struct {
		name string
		args []string
		want string // part of stderr
	}{
		{"unknown handler", []string{"--topology", topo, "--handler", "nobody"}, `--handler "nobody": ` + topo + " has no such handler"},
		{"route named as handler", []string{"--topology", topo, "--handler", "big-orders"}, "no such handler"},
		{"unknown route", []string{"--topology", topo, "--route", "nowhere"}, `--route "nowhere": ` + topo + " has no such route"},
		{"handler named as route", []string{"--topology", topo, "--route", "reviewer"}, "no such route"},
		{"pattern and handler", []string{"--topology", topo, "--handler", "reviewer", "--pattern", `{"source": ["orders"]}`}, "exactly one of"},
		{"handler and route", []string{"--topology", topo, "--handler", "reviewer", "--route", "big-orders"}, "exactly one of"},
		{"no pattern", []string{}, "exactly one of"},
		{"invalid topology filter", []string{"--topology", bad, "--handler", "reviewer"}, bad + ":11:22: handlers.order-processor.filter.source: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr := rulesTest(t, ExitUsage, append(c.args, "--event", orderEvent)...)
			if stdout != "" || !strings.Contains(stderr, c.want) {
				t.Errorf("stdout %q, stderr %q; want stderr to hold %q", stdout, stderr, c.want)
			}
		})
	}
	if _, stderr := rulesTest(t, ExitUsage, "--pattern", `{"source": ["orders"]}`); !strings.Contains(stderr, "--event is required") {
		t.Errorf("no event: stderr %q", stderr)
	}
}
