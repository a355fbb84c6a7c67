package pattern

import (
	"fmt"
	"net/netip"
	"sort"
)

// Problem is one thing wrong with a pattern: where it is (the line and column of the
// offending YAML or JSON node), which field it is about (a dotted path such as
// data.items.quantity, empty for the pattern as a whole) and what is wrong.
type Problem struct {
	Line, Col int
	Field     string
	Msg       string
}

// Error renders the problem as "line:col: field: msg" (without "field: " when the
// problem is about the whole pattern).
func (p Problem) Error() string {
	if p.Field == "" {
		return fmt.Sprintf("%d:%d: %s", p.Line, p.Col, p.Msg)
	}
	return fmt.Sprintf("%d:%d: %s: %s", p.Line, p.Col, p.Field, p.Msg)
}

// Pattern is a compiled event pattern. It is immutable and safe for concurrent use;
// Match and Explain test an Event against it.
type Pattern struct {
	src      *object // the pattern as written, for String
	root     *group  // what Match evaluates
	usesData bool
	fields   []string
}

// Equal reports whether p and q are the same pattern, written alike up to the order
// of keys and the form of numbers and CIDR blocks (their String is the same).
func (p *Pattern) Equal(q *Pattern) bool { return p.String() == q.String() }

// UsesData reports whether the pattern names a field of the payload anywhere
// (including inside $or), that is whether matching it may parse an Event's Data.
func (p *Pattern) UsesData() bool { return p.usesData }

// Fields returns the dotted names of the fields the pattern names (attributes such as
// "type", payload fields such as "data.items.item_id"), sorted and without duplicates.
// The caller may modify the returned slice.
func (p *Pattern) Fields() []string { return append([]string(nil), p.fields...) }

// object is one object level of a pattern as written: its keys in sorted order.
type object struct {
	entries []entry
}

// entry is one key of an object level: a leaf (a list of conditions), a nested object,
// or an $or (a list of two or more objects at the same level).
type entry struct {
	key  string
	leaf []*matcher
	sub  *object
	or   []*object
}

// opKind is the kind of one condition in a leaf's list.
type opKind uint8

const (
	opString opKind = iota // exact string
	opNumber               // exact number (compared numerically)
	opBool                 // exact boolean
	opNull                 // JSON null
	opPrefix
	opSuffix
	opPrefixFold // prefix: {equals-ignore-case: ...}
	opSuffixFold // suffix: {equals-ignore-case: ...}
	opEqualFold  // equals-ignore-case
	opWildcard
	opNumeric
	opExists
	opCIDR
	opAnythingBut // not: a value or list (strs/nums), or an inner string operator (inner)
)

// matcher is one compiled condition of a leaf.
type matcher struct {
	op  opKind
	s   string  // string operand (exact, prefix, suffix, equals-ignore-case, wildcard source)
	num float64 // exact number
	b   bool    // exact boolean; exists

	// wildcard: the literal pieces between stars, and whether the pattern starts or
	// ends with a star.
	pieces     []string
	lead, tail bool

	// numeric: the bounds.
	hasLo, hasHi bool
	loIncl, hi2  bool // loIncl: >= rather than >; hi2: <= rather than <
	lo, hi       float64
	eq           bool // numeric "=": lo is the value

	prefix netip.Prefix

	// anything-but
	strs  []string
	nums  []float64
	inner []*matcher // anything-but {prefix|suffix|equals-ignore-case|wildcard: ...}
	list  bool       // the anything-but value was written as a list
	isNum bool       // the anything-but value is numeric
}

// field is one leaf of the compiled pattern: where its values come from and the
// conditions (any of which may match).
type field struct {
	path     string   // dotted, for Explain and Fields
	attr     bool     // an attribute (from metadata) rather than a payload field
	key      string   // the metadata key of an attribute
	isID     bool     // the id attribute, which falls back to Event.ID
	segs     []string // the path inside the payload
	matchers []*matcher
	exists   int8 // 0: no exists condition; 1: exists:true present; -1: exists:false present; 2: both
}

// group is a conjunction: every field and every $or must match. Fields and $ors that
// need no payload come first, so a failing attribute spares parsing the payload.
type group struct {
	fields []*field
	ors    []*orGroup
}

// orGroup is a disjunction of groups (an $or).
type orGroup struct {
	path     string // the dotted object level the $or is at ("" at the top), for Explain
	branches []*group
	usesData bool
}

func (g *group) usesData() bool {
	for _, f := range g.fields {
		if !f.attr {
			return true
		}
	}
	for _, o := range g.ors {
		if o.usesData {
			return true
		}
	}
	return false
}

// order puts the parts of g that need no payload first (stable otherwise).
func (g *group) order() {
	sort.SliceStable(g.fields, func(i, j int) bool { return g.fields[i].attr && !g.fields[j].attr })
	sort.SliceStable(g.ors, func(i, j int) bool { return !g.ors[i].usesData && g.ors[j].usesData })
}
