package pattern

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// String renders the pattern as compact canonical JSON: keys sorted, numbers in their
// shortest form, CIDR blocks masked. Parse of the result compiles to an equal pattern
// (one whose String is the same).
func (p *Pattern) String() string {
	var b []byte
	b = appendObject(b, p.src)
	return string(b)
}

func appendObject(b []byte, o *object) []byte {
	b = append(b, '{')
	for i, e := range o.entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuote(b, e.key)
		b = append(b, ':')
		switch {
		case e.or != nil:
			b = append(b, '[')
			for j, br := range e.or {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendObject(b, br)
			}
			b = append(b, ']')
		case e.sub != nil:
			b = appendObject(b, e.sub)
		default:
			b = appendLeaf(b, e.leaf)
		}
	}
	return append(b, '}')
}

func appendLeaf(b []byte, leaf []*matcher) []byte {
	b = append(b, '[')
	for i, m := range leaf {
		if i > 0 {
			b = append(b, ',')
		}
		b = m.appendJSON(b)
	}
	return append(b, ']')
}

// opName is the operator name of a string operator.
func opName(op opKind) string {
	switch op {
	case opPrefix:
		return "prefix"
	case opSuffix:
		return "suffix"
	case opEqualFold:
		return "equals-ignore-case"
	case opWildcard:
		return "wildcard"
	}
	return ""
}

func (m *matcher) appendJSON(b []byte) []byte {
	op := func(name string) []byte {
		b = append(b, '{')
		b = appendQuote(b, name)
		return append(b, ':')
	}
	switch m.op {
	case opString:
		return appendQuote(b, m.s)
	case opNumber:
		return append(b, formatNum(m.num)...)
	case opBool:
		return strconv.AppendBool(b, m.b)
	case opNull:
		return append(b, "null"...)
	case opPrefix, opSuffix, opEqualFold, opWildcard:
		b = op(opName(m.op))
		b = appendQuote(b, m.s)
	case opPrefixFold, opSuffixFold:
		if m.op == opPrefixFold {
			b = op("prefix")
		} else {
			b = op("suffix")
		}
		b = append(b, `{"equals-ignore-case":`...)
		b = appendQuote(b, m.s)
		b = append(b, '}')
	case opExists:
		b = op("exists")
		b = strconv.AppendBool(b, m.b)
	case opCIDR:
		b = op("cidr")
		b = appendQuote(b, m.prefix.String())
	case opNumeric:
		b = op("numeric")
		b = append(b, '[')
		switch {
		case m.eq:
			b = append(b, `"=",`...)
			b = append(b, formatNum(m.lo)...)
		default:
			if m.hasLo {
				if m.loIncl {
					b = append(b, `">=",`...)
				} else {
					b = append(b, `">",`...)
				}
				b = append(b, formatNum(m.lo)...)
				if m.hasHi {
					b = append(b, ',')
				}
			}
			if m.hasHi {
				if m.hi2 {
					b = append(b, `"<=",`...)
				} else {
					b = append(b, `"<",`...)
				}
				b = append(b, formatNum(m.hi)...)
			}
		}
		b = append(b, ']')
	case opAnythingBut:
		b = op("anything-but")
		switch {
		case len(m.inner) > 0:
			b = append(b, '{')
			b = appendQuote(b, opName(m.inner[0].op))
			b = append(b, ':')
			if m.list {
				b = append(b, '[')
			}
			for i, im := range m.inner {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendQuote(b, im.s)
			}
			if m.list {
				b = append(b, ']')
			}
			b = append(b, '}')
		case m.isNum:
			if m.list {
				b = append(b, '[')
			}
			for i, n := range m.nums {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, formatNum(n)...)
			}
			if m.list {
				b = append(b, ']')
			}
		default:
			if m.list {
				b = append(b, '[')
			}
			for i, s := range m.strs {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendQuote(b, s)
			}
			if m.list {
				b = append(b, ']')
			}
		}
	}
	return append(b, '}')
}

// formatNum renders a number in its shortest JSON form.
func formatNum(f float64) string {
	if f == 0 {
		return "0"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func quote(s string) string { return string(appendQuote(nil, s)) }

// appendQuote appends s as a JSON string that YAML reads back the same: characters
// YAML does not allow in a document are escaped as \uXXXX.
func appendQuote(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == utf8.RuneError && n == 1:
			b = append(b, `\ufffd`...)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfeff || r == 0xfffe || r == 0xffff || r == 0x2028 || r == 0x2029:
			b = append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// appendValue renders a payload value as JSON.
func appendValue(b []byte, v *fastjson.Value) []byte {
	if v.Type() == fastjson.TypeString {
		s, _ := v.StringBytes()
		return appendQuote(b, string(s))
	}
	return v.MarshalTo(b)
}

// isExactList reports whether every condition of a leaf is an exact value.
func isExactList(leaf []*matcher) bool {
	for _, m := range leaf {
		switch m.op {
		case opString, opNumber, opBool, opNull:
		default:
			return false
		}
	}
	return true
}

func joinValues(vals []string) string { return strings.Join(vals, ", ") }
