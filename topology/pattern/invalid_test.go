package pattern_test

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/millrace/millrace/topology/pattern"
)

type invalidCase struct {
	name    string
	pattern string
	want    []string // "line:col field" of each problem, in order
	msg     string   // a word the first problem's message contains
}

var invalidCases = []invalidCase{
	{name: "leaf not a list", pattern: "type: Order Created\n", want: []string{"1:7 type"}, msg: "list"},
	{name: "empty list", pattern: "source: [\"a\"]\ntype: []\n", want: []string{"2:7 type"}, msg: "empty"},
	{name: "unknown operator", pattern: "data:\n  status:\n    - {startswith: \"p\"}\n", want: []string{"3:8 data.status"}, msg: "startswith"},
	{name: "numeric bad comparator", pattern: "data:\n  total:\n    - numeric: [\"!=\", 5]\n", want: []string{"3:17 data.total"}, msg: "comparator"},
	{name: "numeric three bounds", pattern: "data:\n  total:\n    - numeric: [\">\", 0, \"<\", 5, \"=\", 3]\n", want: []string{"3:16 data.total"}, msg: "at most two"},
	{name: "numeric bad range", pattern: "{\n  \"data\": {\n    \"items\": {\n      \"quantity\": [{\"numeric\": [\">\", 10, \"<=\", 5]}]\n    }\n  }\n}\n", want: []string{"4:32 data.items.quantity"}, msg: "range"},
	{name: "numeric equal bounds", pattern: "data:\n  n: [{numeric: [\">=\", 5, \"<\", 5]}]\n", want: []string{"2:17 data.n"}, msg: "range"},
	{name: "numeric string number", pattern: "data:\n  n:\n    - numeric:\n        - \">\"\n        - \"5\"\n", want: []string{"5:11 data.n"}, msg: "number"},
	{name: "numeric two lower bounds", pattern: "data:\n  n: [{numeric: [\">\", 1, \">=\", 2]}]\n", want: []string{"2:26 data.n"}, msg: "two lower"},
	{name: "or one branch", pattern: "$or:\n  - type: [\"a\"]\n", want: []string{"2:3 $or"}, msg: "two or more"},
	{name: "or not a list", pattern: "data:\n  $or:\n    status: [\"a\"]\n", want: []string{"3:5 data.$or"}, msg: "two or more"},
	{name: "exists not boolean", pattern: "data:\n  status: [{exists: \"yes\"}]\n", want: []string{"2:21 data.status"}, msg: "true or false"},
	{name: "bad cidr", pattern: "data:\n  ip: [{cidr: \"10.0.0.300/8\"}]\n", want: []string{"2:15 data.ip"}, msg: "cidr"},
	{name: "cidr without mask", pattern: "ip: [{cidr: \"10.0.0.1\"}]\n", want: []string{"1:13 ip"}, msg: "cidr"},
	{name: "prefix not a string", pattern: "data:\n  code: [{prefix: 12}]\n", want: []string{"2:19 data.code"}, msg: "prefix takes a string"},
	{name: "anything-but mixed list", pattern: "data:\n  code: [{anything-but: [\"a\", 1]}]\n", want: []string{"2:25 data.code"}, msg: "not both"},
	{name: "anything-but boolean", pattern: "data:\n  code: [{anything-but: true}]\n", want: []string{"2:25 data.code"}, msg: "anything-but"},
	{name: "anything-but unknown inner", pattern: "data:\n  code: [{anything-but: {numeric: [\">\", 1]}}]\n", want: []string{"2:26 data.code"}, msg: "numeric"},
	{name: "empty pattern", pattern: "{}\n", want: []string{"1:1 "}, msg: "empty pattern"},
	{name: "empty nested object", pattern: "data:\n  customer: {}\n", want: []string{"2:13 data.customer"}, msg: "empty"},
	{name: "wildcard consecutive stars", pattern: "subject: [{wildcard: \"a**b\"}]\n", want: []string{"1:22 subject"}, msg: "consecutive"},
	{name: "wildcard bad escape", pattern: "subject: [{wildcard: 'a\\b'}]\n", want: []string{"1:22 subject"}, msg: "backslash"},
	{name: "detail-type", pattern: "{\n  \"detail-type\": [\"Order Created\"]\n}\n", want: []string{"2:3 detail-type"}, msg: `"type"`},
	{name: "detail", pattern: "detail:\n  status: [\"a\"]\n", want: []string{"1:1 detail"}, msg: `"data"`},
	{name: "account region resources", pattern: "account: [\"1\"]\nregion: [\"eu\"]\nresources: [\"r\"]\n", want: []string{"1:1 account", "2:1 region", "3:1 resources"}, msg: "account"},
	{name: "attribute with fields", pattern: "source:\n  name: [\"a\"]\n", want: []string{"2:3 source"}, msg: "no fields"},
	{name: "attribute name", pattern: "Type: [\"a\"]\n", want: []string{"1:1 Type"}, msg: "lowercase"},
	{name: "data not an object", pattern: "data: [\"a\"]\n", want: []string{"1:7 data"}, msg: "object"},
	{name: "two operators in one object", pattern: "data:\n  s: [{prefix: \"a\", suffix: \"b\"}]\n", want: []string{"2:7 data.s"}, msg: "exactly one"},
	{name: "list in a list", pattern: "data:\n  s: [[\"a\"]]\n", want: []string{"2:7 data.s"}, msg: "list inside"},
	{name: "field named twice", pattern: "type: [\"a\"]\ntype: [\"b\"]\n", want: []string{"2:1 type"}, msg: "twice"},
	{name: "not an object", pattern: "[\"a\"]\n", want: []string{"1:1 "}, msg: "object"},
	{name: "every problem reported", pattern: "type: x\ndata:\n  a: []\n  b: [{exists: 1}]\n  $or: [{c: [1]}]\n", want: []string{"1:7 type", "3:6 data.a", "4:16 data.b", "5:8 data.$or"}, msg: "list"},
	{name: "problems inside or branches", pattern: "$or:\n  - type: x\n  - data:\n      n: [{numeric: [\"<\", 1, \"<\", 2]}]\n", want: []string{"2:11 type", "4:30 data.n"}, msg: "list"},
	{name: "not finite", pattern: "data:\n  n: [.inf]\n", want: []string{"2:7 data.n"}, msg: "finite"},
	{name: "merge key", pattern: "base: &b {status: [\"a\"]}\ndata:\n  <<: *b\n", want: []string{"1:7 base", "3:3 data"}, msg: "no fields"},
	{name: "syntax error", pattern: "type: [\"a\"\nsource: [\"b\"]\n", want: []string{"2:1 "}, msg: "invalid"},
}

// TestInvalid checks that each invalid pattern reports its problems where they are.
func TestInvalid(t *testing.T) {
	if len(invalidCases) < 20 {
		t.Fatalf("only %d cases", len(invalidCases))
	}
	for _, c := range invalidCases {
		t.Run(c.name, func(t *testing.T) {
			p, probs := pattern.Parse([]byte(c.pattern))
			if p != nil {
				t.Errorf("Parse compiled %s", p)
			}
			var got []string
			for _, pr := range probs {
				got = append(got, fmt.Sprintf("%d:%d %s", pr.Line, pr.Col, pr.Field))
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("problems at %q, want %q: %v", got, c.want, probs)
			}
			if len(probs) > 0 && !strings.Contains(probs[0].Msg, c.msg) {
				t.Errorf("first problem %q does not mention %q", probs[0].Error(), c.msg)
			}
		})
	}
}

// TestProblemError checks the rendering of a problem.
func TestProblemError(t *testing.T) {
	p := pattern.Problem{Line: 3, Col: 7, Field: "data.items.quantity", Msg: "numeric: bad"}
	if got := p.Error(); got != "3:7: data.items.quantity: numeric: bad" {
		t.Errorf("Error() = %q", got)
	}
}

// TestFromNode checks compiling from a node inside a larger YAML document, following
// an alias, with positions relative to that document.
func TestFromNode(t *testing.T) {
	src := "common: &c [\"shop/orders\"]\nroutes:\n  - filter:\n      source: *c\n      type: [\"Order Created\"]\n  - filter:\n      source: *c\n      type: []\n"
	var doc struct {
		Routes []struct {
			Filter yaml.Node `yaml:"filter"`
		} `yaml:"routes"`
	}
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	p, probs := pattern.FromNode(&doc.Routes[0].Filter)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if !p.Match(newEvent(order, "")) {
		t.Errorf("%s does not match", p)
	}
	_, probs = pattern.FromNode(&doc.Routes[1].Filter)
	if len(probs) != 1 || probs[0].Line != 8 || probs[0].Col != 13 || probs[0].Field != "type" {
		t.Errorf("problems %v, want one at 8:13 on type", probs)
	}
}

// TestAliasExpansion checks that a pattern whose aliases expand exponentially is
// refused rather than expanded.
func TestAliasExpansion(t *testing.T) {
	var b strings.Builder
	b.WriteString("data:\n  a0: &a0 {x: [\"1\"]}\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d {p: *a%d, q: *a%d}\n", i, i, i-1, i-1)
	}
	p, probs := pattern.Parse([]byte(b.String()))
	if p != nil || len(probs) != 1 || !strings.Contains(probs[0].Msg, "too large") {
		t.Errorf("Parse = %v, %v; want one problem saying the pattern is too large", p, probs)
	}
}
