package pattern

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/valyala/fastjson"
)

// Match reports whether ev matches the pattern. A pattern naming only attributes never
// looks at ev.Data; otherwise ev's payload is parsed once, on first need, and the
// parsed tree is kept in ev for every other pattern matched against it.
func (p *Pattern) Match(ev *Event) bool {
	return p.root.match(ev)
}

func (g *group) match(ev *Event) bool {
	for _, f := range g.fields {
		if !f.match(ev) {
			return false
		}
	}
	for _, o := range g.ors {
		if !o.match(ev) {
			return false
		}
	}
	return true
}

func (o *orGroup) match(ev *Event) bool {
	for _, b := range o.branches {
		if b.match(ev) {
			return true
		}
	}
	return false
}

// value is one leaf value of an event: an attribute (always a string) or a JSON
// scalar of the payload.
type value struct {
	t fastjson.Type
	s string          // a string's text
	v *fastjson.Value // a payload value (for numbers)
}

func (f *field) match(ev *Event) bool {
	if f.attr {
		s, ok := ev.attr(f.key, f.isID)
		if !ok {
			return f.exists < 0 || f.exists == 2
		}
		val := value{t: fastjson.TypeString, s: s}
		for _, m := range f.matchers {
			if m.op == opExists {
				if m.b {
					return true
				}
				continue
			}
			if m.matchValue(&val) {
				return true
			}
		}
		return false
	}
	var st scan
	st.f = f
	if root := ev.payload(); root != nil {
		st.walk(root, f.segs)
	}
	if st.matched {
		return true
	}
	if st.found {
		return f.exists == 1 || f.exists == 2
	}
	return f.exists < 0 || f.exists == 2
}

// scan walks the values of one payload field.
type scan struct {
	f       *field
	found   bool // some leaf value was seen
	matched bool // some leaf value matched a condition
}

// walk visits the leaf values reached from v along segs: arrays anywhere on the way
// (and at the end) stand for each of their elements; objects at the end are not leaves.
func (st *scan) walk(v *fastjson.Value, segs []string) {
	for {
		switch v.Type() {
		case fastjson.TypeArray:
			arr, _ := v.Array()
			for _, e := range arr {
				st.walk(e, segs)
				if st.matched {
					return
				}
			}
			return
		case fastjson.TypeObject:
			if len(segs) == 0 {
				return
			}
			o, _ := v.Object()
			v = o.Get(segs[0])
			if v == nil {
				return
			}
			segs = segs[1:]
			continue
		}
		if len(segs) != 0 {
			return
		}
		st.found = true
		val := value{t: v.Type(), v: v}
		if val.t == fastjson.TypeString {
			b, _ := v.StringBytes()
			val.s = unsafe.String(unsafe.SliceData(b), len(b))
		}
		for _, m := range st.f.matchers {
			if m.op != opExists && m.matchValue(&val) {
				st.matched = true
				return
			}
		}
		return
	}
}

// num returns the value as a number, if it is one.
func (v *value) num() (float64, bool) {
	if v.t != fastjson.TypeNumber || v.v == nil {
		return 0, false
	}
	f, err := v.v.Float64()
	if err != nil || f != f {
		return 0, false
	}
	return f, true
}

// matchValue reports whether one leaf value satisfies a (non-exists) condition.
func (m *matcher) matchValue(v *value) bool {
	switch m.op {
	case opString:
		return v.t == fastjson.TypeString && v.s == m.s
	case opNumber:
		f, ok := v.num()
		return ok && f == m.num
	case opBool:
		return (m.b && v.t == fastjson.TypeTrue) || (!m.b && v.t == fastjson.TypeFalse)
	case opNull:
		return v.t == fastjson.TypeNull
	case opNumeric:
		f, ok := v.num()
		return ok && m.inRange(f)
	case opAnythingBut:
		if len(m.inner) > 0 {
			if v.t != fastjson.TypeString {
				return false
			}
			for _, im := range m.inner {
				if im.matchValue(v) {
					return false
				}
			}
			return true
		}
		if m.isNum {
			if f, ok := v.num(); ok {
				for _, n := range m.nums {
					if f == n {
						return false
					}
				}
			}
			return true
		}
		if v.t == fastjson.TypeString {
			for _, s := range m.strs {
				if v.s == s {
					return false
				}
			}
		}
		return true
	}
	if v.t != fastjson.TypeString {
		return false
	}
	s := v.s
	switch m.op {
	case opPrefix:
		return strings.HasPrefix(s, m.s)
	case opSuffix:
		return strings.HasSuffix(s, m.s)
	case opPrefixFold:
		return hasPrefixFold(s, m.s)
	case opSuffixFold:
		return hasSuffixFold(s, m.s)
	case opEqualFold:
		return strings.EqualFold(s, m.s)
	case opWildcard:
		return m.matchWildcard(s)
	case opCIDR:
		a, err := netip.ParseAddr(s)
		return err == nil && m.prefix.Contains(a)
	}
	return false
}

func (m *matcher) inRange(f float64) bool {
	if m.eq {
		return f == m.lo
	}
	if m.hasLo && !(f > m.lo || (m.loIncl && f == m.lo)) {
		return false
	}
	if m.hasHi && !(f < m.hi || (m.hi2 && f == m.hi)) {
		return false
	}
	return true
}

// matchWildcard matches s against the literal pieces between the stars.
func (m *matcher) matchWildcard(s string) bool {
	pieces := m.pieces
	if !m.lead {
		if len(pieces) == 0 || !strings.HasPrefix(s, pieces[0]) {
			return len(pieces) == 0 && s == ""
		}
		s = s[len(pieces[0]):]
		pieces = pieces[1:]
		if len(pieces) == 0 && !m.tail {
			return s == ""
		}
	}
	if !m.tail {
		last := pieces[len(pieces)-1]
		if !strings.HasSuffix(s, last) {
			return false
		}
		s = s[:len(s)-len(last)]
		pieces = pieces[:len(pieces)-1]
	}
	for _, p := range pieces {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

// foldEq reports whether two runes are equal under simple Unicode case folding.
func foldEq(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// hasPrefixFold is strings.HasPrefix under simple Unicode case folding.
func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		a, na := utf8.DecodeRuneInString(s)
		b, nb := utf8.DecodeRuneInString(prefix)
		if !foldEq(a, b) {
			return false
		}
		s, prefix = s[na:], prefix[nb:]
	}
	return true
}

// hasSuffixFold is strings.HasSuffix under simple Unicode case folding.
func hasSuffixFold(s, suffix string) bool {
	for suffix != "" {
		if s == "" {
			return false
		}
		a, na := utf8.DecodeLastRuneInString(s)
		b, nb := utf8.DecodeLastRuneInString(suffix)
		if !foldEq(a, b) {
			return false
		}
		s, suffix = s[:len(s)-na], suffix[:len(suffix)-nb]
	}
	return true
}
