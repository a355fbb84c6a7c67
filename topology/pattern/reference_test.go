package pattern_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/millrace/millrace/topology/pattern"
)

// refAgrees runs the reference matcher on a compiled pattern and an event's inputs.
func refAgrees(t *testing.T, p *pattern.Pattern, attrs map[string]string, data []byte) bool {
	t.Helper()
	var pat map[string]any
	dec := json.NewDecoder(strings.NewReader(p.String()))
	dec.UseNumber()
	if err := dec.Decode(&pat); err != nil {
		t.Fatalf("String() %s: %v", p.String(), err)
	}
	var payload any
	present := false
	if len(data) > 0 && json.Valid(data) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		present = dec.Decode(&payload) == nil
	}
	return ref{attrs: attrs, payload: payload, present: present}.object(pat, nil, true)
}

// TestReferenceOnTable checks the reference matcher itself against the table.
func TestReferenceOnTable(t *testing.T) {
	for _, c := range matchCases {
		p, probs := pattern.Parse([]byte(c.pattern))
		if len(probs) > 0 {
			t.Fatalf("%s: %v", c.name, probs)
		}
		ev := c.event()
		attrs := c.attrs
		if attrs == nil {
			attrs = order
		}
		if got := refAgrees(t, p, attrs, ev.Data); got != c.want {
			t.Errorf("%s: the reference says %v, want %v", c.name, got, c.want)
		}
	}
}

// gen makes random patterns and payloads over a small vocabulary, so that they meet.
type gen struct{ r *rand.Rand }

func (g gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

var (
	genKeys    = []string{"a", "b", "c"}
	genStrings = []string{`""`, `"a"`, `"ab"`, `"A"`, `"a*b"`, `"ba"`, `"10.0.0.1"`, `"10.1.2.3"`, `"::1"`, `"fe80::1"`, `"ß"`, `"SS"`}
	genNumbers = []string{"0", "1", "1.5", "-2", "300", "3e2", "300.0", "5"}
)

// value is a random payload value of at most depth levels.
func (g gen) value(depth int) string {
	switch n := g.r.IntN(10); {
	case n < 3:
		return g.pick(genStrings...)
	case n < 5:
		return g.pick(genNumbers...)
	case n == 5:
		return g.pick("true", "false", "null")
	case n < 8 && depth > 0:
		var parts []string
		for i := g.r.IntN(3); i > 0; i-- {
			parts = append(parts, g.value(depth-1))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case depth > 0:
		return g.object(depth - 1)
	}
	return g.pick(genStrings...)
}

func (g gen) object(depth int) string {
	var parts []string
	for _, k := range genKeys {
		if g.r.IntN(3) > 0 {
			parts = append(parts, fmt.Sprintf("%q:%s", k, g.value(depth)))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// cond is a random condition of a leaf.
func (g gen) cond() string {
	s := func() string { return g.pick(`""`, `"a"`, `"A"`, `"b"`, `"ab"`, `"s"`) }
	switch g.r.IntN(16) {
	case 0:
		return g.pick(genStrings...)
	case 1:
		return g.pick(genNumbers...)
	case 2:
		return g.pick("true", "false", "null")
	case 3:
		return `{"prefix":` + s() + `}`
	case 4:
		return `{"suffix":` + s() + `}`
	case 5:
		return `{"prefix":{"equals-ignore-case":` + g.pick(`"A"`, `"ss"`, `"a"`) + `}}`
	case 6:
		return `{"equals-ignore-case":` + g.pick(`"A"`, `"ss"`, `"AB"`) + `}`
	case 7:
		return `{"wildcard":` + g.pick(`"*"`, `"a*"`, `"*b"`, `"a*b"`, `"*a*"`, `"a\\*b"`, `"*.*.*"`) + `}`
	case 8:
		return `{"anything-but":` + g.pick(`"a"`, `["a","ab"]`, `5`, `[0,1,300]`) + `}`
	case 9:
		return `{"anything-but":{` + g.pick(`"prefix":"a"`, `"suffix":"b"`, `"equals-ignore-case":["A","SS"]`, `"wildcard":"*b*"`) + `}}`
	case 10:
		return `{"numeric":` + g.pick(`[">",0]`, `[">=",1.5]`, `["<",300]`, `["<=",300]`, `["=",3e2]`, `[">",-2,"<=",5]`, `["<",1,">=",-2]`) + `}`
	case 11, 12:
		return `{"exists":` + g.pick("true", "false") + `}`
	case 13:
		return `{"cidr":` + g.pick(`"10.0.0.0/8"`, `"10.0.0.0/24"`, `"::/0"`, `"fe80::/10"`) + `}`
	case 14:
		return `{"suffix":{"equals-ignore-case":` + g.pick(`"B"`, `"ß"`) + `}}`
	}
	return `{"anything-but":{"prefix":["a","1"]}}`
}

func (g gen) leaf() string {
	var parts []string
	for i := 1 + g.r.IntN(2); i > 0; i-- {
		parts = append(parts, g.cond())
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// pattern is a random payload pattern object of at most depth levels.
func (g gen) pattern(depth int) string {
	var parts []string
	for _, k := range genKeys {
		switch n := g.r.IntN(8); {
		case n < 5:
		case n < 7 || depth == 0:
			parts = append(parts, fmt.Sprintf("%q:%s", k, g.leaf()))
		default:
			parts = append(parts, fmt.Sprintf("%q:%s", k, g.pattern(depth-1)))
		}
	}
	if depth > 0 && g.r.IntN(4) == 0 {
		parts = append(parts, `"$or":[`+g.pattern(depth-1)+","+g.pattern(depth-1)+"]")
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%q:%s", g.pick(genKeys...), g.leaf()))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (g gen) top() string {
	parts := []string{`"data":` + g.pattern(2)}
	if g.r.IntN(4) == 0 {
		parts = append(parts, `"type":`+g.leaf())
	}
	if g.r.IntN(4) == 0 {
		parts = append(parts, `"$or":[{"subject":`+g.leaf()+`},{"data":`+g.pattern(1)+`}]`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// TestRandomAgainstReference matches random patterns against random events with the
// package and with the reference matcher, and checks that they agree.
func TestRandomAgainstReference(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	n := 20000
	if testing.Short() {
		n = 2000
	}
	matched := 0
	for i := 0; i < n; i++ {
		src := g.top()
		p, probs := pattern.Parse([]byte(src))
		if len(probs) > 0 {
			t.Fatalf("Parse(%s): %v", src, probs)
		}
		attrs := map[string]string{}
		if g.r.IntN(3) > 0 {
			attrs["type"] = strings.Trim(g.pick(genStrings...), `"`)
		}
		if g.r.IntN(2) > 0 {
			attrs["subject"] = strings.Trim(g.pick(genStrings...), `"`)
		}
		data := g.object(3)
		ev := newEvent(attrs, data)
		got := p.Match(ev)
		if m, _, _ := p.Explain(ev); m != got {
			t.Fatalf("Match and Explain disagree on %s / %s", src, data)
		}
		if want := refAgrees(t, p, attrs, []byte(data)); got != want {
			t.Fatalf("Match(%s) = %v, the reference says %v\npayload %s attrs %q", p.String(), got, want, data, attrs)
		}
		if got {
			matched++
		}
		ev.Release()
	}
	if matched < n/20 || matched > n-n/20 {
		t.Errorf("%d of %d random cases matched: the generator does not exercise both outcomes", matched, n)
	}
	t.Logf("%d of %d matched", matched, n)
}
