package pattern_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/millrace/millrace/topology/pattern"
)

// FuzzParse checks that Parse never panics, that problems have positions, and that a
// compiled pattern round-trips through String.
func FuzzParse(f *testing.F) {
	for _, c := range matchCases {
		f.Add(c.pattern)
	}
	for _, c := range invalidCases {
		f.Add(c.pattern)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, probs := pattern.Parse([]byte(src))
		if len(probs) > 0 {
			if p != nil {
				t.Fatalf("a pattern with problems compiled: %v", probs)
			}
			for _, pr := range probs {
				if pr.Line < 1 || pr.Col < 1 || pr.Msg == "" {
					t.Fatalf("problem without a position or message: %#v", pr)
				}
			}
			return
		}
		if p == nil {
			t.Fatal("no pattern and no problems")
		}
		s := p.String()
		if !json.Valid([]byte(s)) {
			t.Fatalf("String() is not JSON: %s", s)
		}
		q, probs := pattern.Parse([]byte(s))
		if len(probs) > 0 {
			t.Fatalf("Parse(String() = %s): %v", s, probs)
		}
		if q.String() != s || !q.Equal(p) {
			t.Fatalf("round trip changed the pattern: %s then %s", s, q.String())
		}
		if q.UsesData() != p.UsesData() || strings.Join(q.Fields(), ",") != strings.Join(p.Fields(), ",") {
			t.Fatalf("round trip changed UsesData or Fields: %v %v / %v %v", p.UsesData(), p.Fields(), q.UsesData(), q.Fields())
		}
	})
}

// FuzzMatch checks that matching never panics, that Match agrees with Explain, and
// that both agree with the reference matcher below.
func FuzzMatch(f *testing.F) {
	for _, c := range matchCases {
		data := c.data
		switch data {
		case "":
			data = orderData
		case "-":
			data = ""
		}
		attrs := c.attrs
		if attrs == nil {
			attrs = order
		}
		f.Add(c.pattern, []byte(data), attrs["type"], attrs["source"], attrs["subject"])
	}
	g := gen{rand.New(rand.NewPCG(3, 4))}
	for i := 0; i < 200; i++ {
		f.Add(g.top(), []byte(g.object(3)), g.pick("a", "A", ""), "", g.pick("a", "ab", ""))
	}
	f.Fuzz(func(t *testing.T, src string, data []byte, typ, source, subject string) {
		p, probs := pattern.Parse([]byte(src))
		if len(probs) > 0 {
			return
		}
		attrs := map[string]string{"subject": subject}
		if typ != "" {
			attrs["type"] = typ
		}
		if source != "" {
			attrs["source"] = source
		}
		ev := newEvent(attrs, "")
		ev.Data = data
		defer ev.Release()
		got := p.Match(ev)
		matched, field, why := p.Explain(ev)
		if matched != got {
			t.Fatalf("Match = %v, Explain = %v (%s: %s)", got, matched, field, why)
		}
		if again := p.Match(ev); again != got {
			t.Fatalf("a second Match on the same Event gave %v, then %v", got, again)
		}
		if !comparable(src, data) {
			return
		}
		if want := refAgrees(t, p, attrs, data); want != got {
			t.Fatalf("Match(%s) = %v, the reference says %v\npayload %q attrs %q", p.String(), got, want, data, attrs)
		}
	})
}

// comparable reports whether the inputs are ones the reference reads the same way:
// valid UTF-8 throughout, and a payload that is either invalid JSON (no fields) or
// valid JSON without duplicate keys and not deeply nested.
func comparable(src string, data []byte) bool {
	if !utf8.ValidString(src) || !utf8.Valid(data) || loneSurrogateRE.Match(data) {
		return false
	}
	if !json.Valid(data) {
		return !looseJSON(data)
	}
	return plainJSON(json.NewDecoder(bytes.NewReader(data)), 0)
}

// plainJSON reads one value from dec and reports whether it has no object with a
// duplicate key and is nested at most 200 levels deep.
func plainJSON(dec *json.Decoder, depth int) bool {
	if depth > 200 {
		return false
	}
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	switch tok {
	case json.Delim('{'):
		keys := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return false
			}
			if keys[k.(string)] {
				return false
			}
			keys[k.(string)] = true
			if !plainJSON(dec, depth+1) {
				return false
			}
		}
		_, err = dec.Token()
		return err == nil
	case json.Delim('['):
		for dec.More() {
			if !plainJSON(dec, depth+1) {
				return false
			}
		}
		_, err = dec.Token()
		return err == nil
	}
	return true
}

// loneSurrogateRE finds escapes of UTF-16 surrogates, which encoding/json reads as
// U+FFFD when unpaired and the package reads literally (see the package documentation).
var loneSurrogateRE = regexp.MustCompile(`\\u[dD][89a-fA-F]`)

// looseJSON reports whether data is invalid JSON that fastjson still reads (the
// package does not validate payloads in full; see the package documentation).
func looseJSON(data []byte) bool {
	var p fastjson.Parser
	_, err := p.ParseBytes(data)
	return err == nil
}

// ref is the reference matcher: a direct reading of the pattern language over the
// pattern's canonical JSON and the payload decoded by encoding/json.
type ref struct {
	attrs   map[string]string
	payload any
	present bool
}

// object matches one object level of a pattern; path is its payload path.
func (r ref) object(pat map[string]any, path []string, top bool) bool {
	for k, v := range pat {
		switch {
		case k == "$or":
			hit := false
			for _, b := range v.([]any) {
				if r.object(b.(map[string]any), path, top) {
					hit = true
				}
			}
			if !hit {
				return false
			}
		case top && k == "data":
			if !r.object(v.(map[string]any), nil, false) {
				return false
			}
		case top:
			var vals []any
			if s, ok := r.attrs[k]; ok {
				vals = []any{s}
			}
			if !leafMatch(v.([]any), vals) {
				return false
			}
		default:
			p := append(append([]string(nil), path...), k)
			if sub, ok := v.(map[string]any); ok {
				if !r.object(sub, p, false) {
					return false
				}
				continue
			}
			var vals []any
			if r.present {
				vals = leaves(r.payload, p)
			}
			if !leafMatch(v.([]any), vals) {
				return false
			}
		}
	}
	return true
}

// leaves lists the scalar values at path, looking into every element of arrays.
func leaves(v any, path []string) []any {
	switch x := v.(type) {
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, leaves(e, path)...)
		}
		return out
	case map[string]any:
		if len(path) == 0 {
			return nil
		}
		c, ok := x[path[0]]
		if !ok {
			return nil
		}
		return leaves(c, path[1:])
	}
	if len(path) > 0 {
		return nil
	}
	return []any{v}
}

func leafMatch(conds []any, vals []any) bool {
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok {
			if e, ok := m["exists"]; ok {
				if (len(vals) > 0) == e.(bool) {
					return true
				}
				continue
			}
		}
		for _, v := range vals {
			if condMatch(c, v) {
				return true
			}
		}
	}
	return false
}

func num(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func condMatch(c, v any) bool {
	switch x := c.(type) {
	case string:
		s, ok := v.(string)
		return ok && s == x
	case json.Number:
		a, _ := num(x)
		b, ok := num(v)
		return ok && a == b
	case bool:
		b, ok := v.(bool)
		return ok && b == x
	case nil:
		return v == nil
	}
	m := c.(map[string]any)
	for op, arg := range m {
		s, isStr := v.(string)
		switch op {
		case "prefix", "suffix":
			if inner, ok := arg.(map[string]any); ok {
				p := []rune(inner["equals-ignore-case"].(string))
				r := []rune(s)
				if !isStr || len(r) < len(p) {
					return false
				}
				if op == "prefix" {
					return strings.EqualFold(string(r[:len(p)]), string(p))
				}
				return strings.EqualFold(string(r[len(r)-len(p):]), string(p))
			}
			if op == "prefix" {
				return isStr && strings.HasPrefix(s, arg.(string))
			}
			return isStr && strings.HasSuffix(s, arg.(string))
		case "equals-ignore-case":
			return isStr && strings.EqualFold(s, arg.(string))
		case "wildcard":
			return isStr && wildcardRE(arg.(string)).MatchString(s)
		case "cidr":
			a, err := netip.ParseAddr(s)
			return isStr && err == nil && netip.MustParsePrefix(arg.(string)).Contains(a)
		case "numeric":
			f, ok := num(v)
			if !ok {
				return false
			}
			l := arg.([]any)
			for i := 0; i < len(l); i += 2 {
				b, _ := num(l[i+1])
				var in bool
				switch l[i].(string) {
				case "=":
					in = f == b
				case "<":
					in = f < b
				case "<=":
					in = f <= b
				case ">":
					in = f > b
				case ">=":
					in = f >= b
				}
				if !in {
					return false
				}
			}
			return true
		case "anything-but":
			if inner, ok := arg.(map[string]any); ok {
				if !isStr {
					return false
				}
				for iop, iarg := range inner {
					list, ok := iarg.([]any)
					if !ok {
						list = []any{iarg}
					}
					for _, e := range list {
						if condMatch(map[string]any{iop: e}, v) {
							return false
						}
					}
				}
				return true
			}
			list, ok := arg.([]any)
			if !ok {
				list = []any{arg}
			}
			for _, e := range list {
				if condMatch(e, v) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// wildcardRE turns a wildcard operand into a regular expression.
func wildcardRE(w string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for i := 0; i < len(w); i++ {
		switch {
		case w[i] == '\\' && i+1 < len(w):
			i++
			b.WriteString(regexp.QuoteMeta(w[i : i+1]))
		case w[i] == '*':
			b.WriteString(`.*`)
		default:
			_, n := utf8.DecodeRuneInString(w[i:])
			b.WriteString(regexp.QuoteMeta(w[i : i+n]))
			i += n - 1
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}
