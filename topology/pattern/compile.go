package pattern

import (
	"bytes"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/millrace/millrace/internal/metadata"
)

// Parse compiles a pattern written as JSON or YAML text (JSON is read as YAML, so
// positions are reported the same way for both). It returns every problem found; the
// pattern is nil when there is any.
func Parse(data []byte) (*Pattern, []Problem) {
	var doc yaml.Node
	if err := yaml.Unmarshal(jsonSurrogates(data), &doc); err != nil {
		pr := SyntaxProblem(err)
		// A problem found at the end of the text is on its last line.
		pr.Line = min(pr.Line, bytes.Count(data, []byte("\n"))+1)
		pr.Msg = "invalid JSON or YAML: " + pr.Msg
		return nil, []Problem{pr}
	}
	if len(bytes.TrimSpace(data)) == 0 || len(doc.Content) == 0 {
		return nil, []Problem{{Line: 1, Col: 1, Msg: "empty pattern: a pattern is an object naming at least one field"}}
	}
	return FromNode(&doc)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// SyntaxProblem turns a syntax error of gopkg.in/yaml.v3 into a Problem at the line it
// names (column 1: yaml.v3 gives none), its message without the "yaml: line N:"
// prefix. yaml.v3 numbers the lines of its parser's problems from 0 and those of its
// scanner from 1; the Problem's line is 1-based either way.
func SyntaxProblem(err error) Problem {
	text := err.Error()
	pr := Problem{Line: 1, Col: 1, Msg: strings.TrimPrefix(text, "yaml: ")}
	m := yamlLineRE.FindStringSubmatch(text)
	if m == nil {
		return pr
	}
	pr.Msg = text[len(m[0]):]
	if n, convErr := strconv.Atoi(m[1]); convErr == nil && n >= 0 {
		if isParserProblem(pr.Msg) {
			n++
		}
		pr.Line = max(n, 1)
	}
	return pr
}

// isParserProblem reports whether a yaml.v3 message comes from its parser, whose line
// numbers are 0-based, rather than its scanner.
func isParserProblem(msg string) bool {
	return strings.HasPrefix(msg, "did not find expected") ||
		strings.HasPrefix(msg, "found undefined tag handle") ||
		strings.HasPrefix(msg, "found duplicate %") ||
		strings.HasPrefix(msg, "found incompatible YAML document")
}

// jsonSurrogates rewrites the UTF-16 surrogate pairs JSON escapes characters beyond
// U+FFFF with (\ud83d\ude00) inside double-quoted strings as the \UXXXXXXXX escapes
// YAML reads (YAML refuses surrogates). Other text is left alone; data is returned as
// is when there is nothing to rewrite.
func jsonSurrogates(data []byte) []byte {
	if !bytes.Contains(data, []byte(`\u`)) {
		return data
	}
	var out []byte
	state := byte(0) // 0 outside strings, '"' or '\'' inside one
	last := 0
	for i := 0; i < len(data); i++ {
		ch := data[i]
		switch {
		case state == 0 && (ch == '"' || ch == '\''):
			state = ch
		case state == '\'' && ch == '\'':
			if i+1 < len(data) && data[i+1] == '\'' {
				i++ // '' is a quote inside a single-quoted string
			} else {
				state = 0
			}
		case state == '"' && ch == '"':
			state = 0
		case state == '"' && ch == '\\':
			if hi, ok := hex4(data, i+2); ok && data[i+1] == 'u' && hi >= 0xd800 && hi < 0xdc00 && i+12 <= len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
				if lo, ok := hex4(data, i+8); ok && lo >= 0xdc00 && lo < 0xe000 {
					r := 0x10000 + (hi-0xd800)<<10 + (lo - 0xdc00)
					out = append(out, data[last:i]...)
					out = fmt.Appendf(out, `\U%08X`, r)
					i += 11
					last = i + 1
					continue
				}
			}
			i++ // skip the escaped character
		}
	}
	if out == nil {
		return data
	}
	return append(out, data[last:]...)
}

// hex4 reads four hex digits at data[i:].
func hex4(data []byte, i int) (int, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(data[i:i+4]), 16, 32)
	return int(v), err == nil
}

// FromNode compiles a pattern held in a gopkg.in/yaml.v3 node (a document or a mapping;
// aliases are followed). Problems carry the positions of the nodes they are about. It
// returns every problem found; the pattern is nil when there is any.
func FromNode(n *yaml.Node) (*Pattern, []Problem) {
	c := &compiler{}
	if n == nil {
		return nil, []Problem{{Line: 1, Col: 1, Msg: "empty pattern: a pattern is an object naming at least one field"}}
	}
	n = deref(n)
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, []Problem{{Line: n.Line, Col: n.Column, Msg: "empty pattern: a pattern is an object naming at least one field"}}
		}
		n = deref(n.Content[0])
	}
	src := c.object(n, "", levelTop, 0)
	if len(c.problems) > 0 {
		return nil, c.problems
	}
	return build(src), nil
}

// build compiles an object tree (already checked) into a Pattern.
func build(src *object) *Pattern {
	p := &Pattern{src: src}
	p.root = compileGroup(src, levelTop, "", nil)
	p.usesData = p.root.usesData()
	seen := map[string]bool{}
	var walk func(g *group)
	walk = func(g *group) {
		for _, f := range g.fields {
			if !seen[f.path] {
				seen[f.path] = true
				p.fields = append(p.fields, f.path)
			}
		}
		for _, o := range g.ors {
			for _, b := range o.branches {
				walk(b)
			}
		}
	}
	walk(p.root)
	sort.Strings(p.fields)
	return p
}

// level says where an object sits: at the top (attributes and data), or in the payload.
type level uint8

const (
	levelTop level = iota
	levelData
)

// compileGroup turns one object level into a group; prefix is the dotted path of the
// level ("" at the top, "data." or deeper in the payload) and segs its payload path.
func compileGroup(o *object, lv level, prefix string, segs []string) *group {
	g := &group{}
	compileInto(g, o, lv, prefix, segs)
	g.order()
	return g
}

func compileInto(g *group, o *object, lv level, prefix string, segs []string) {
	for _, e := range o.entries {
		switch {
		case e.or != nil:
			og := &orGroup{path: strings.TrimSuffix(prefix, ".")}
			for _, b := range e.or {
				bg := compileGroup(b, lv, prefix, segs)
				og.branches = append(og.branches, bg)
				if bg.usesData() {
					og.usesData = true
				}
			}
			g.ors = append(g.ors, og)
		case e.sub != nil:
			if lv == levelTop { // data
				compileInto(g, e.sub, levelData, "data.", nil)
			} else {
				compileInto(g, e.sub, levelData, prefix+e.key+".", appendSeg(segs, e.key))
			}
		default:
			f := &field{path: prefix + e.key, matchers: e.leaf}
			if lv == levelTop {
				f.attr = true
				f.key = metadata.AttributeKey(e.key)
				f.isID = e.key == "id"
			} else {
				f.segs = appendSeg(segs, e.key)
			}
			for _, m := range e.leaf {
				if m.op == opExists {
					switch {
					case f.exists == 0 && m.b:
						f.exists = 1
					case f.exists == 0:
						f.exists = -1
					case (f.exists == 1) != m.b:
						f.exists = 2
					}
				}
			}
			g.fields = append(g.fields, f)
		}
	}
}

func appendSeg(segs []string, s string) []string {
	out := make([]string, len(segs)+1)
	copy(out, segs)
	out[len(segs)] = s
	return out
}

// compiler collects the problems of one pattern.
type compiler struct {
	problems []Problem
	nodes    int  // nodes visited so far (aliases make a document expand)
	tooBig   bool // the budget of nodes was exceeded (reported once)
}

// maxNodes bounds the nodes of a pattern, counting the expansion of aliases.
const maxNodes = 20000

// visit counts a node against the budget, reporting once when it runs out.
func (c *compiler) visit(n *yaml.Node, field string) bool {
	c.nodes++
	if c.nodes <= maxNodes {
		return true
	}
	if !c.tooBig {
		c.tooBig = true
		c.add(n, field, "pattern too large: more than %d nodes (counting what aliases expand to)", maxNodes)
	}
	return false
}

func (c *compiler) add(n *yaml.Node, field, format string, args ...any) {
	c.problems = append(c.problems, Problem{Line: n.Line, Col: n.Column, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

const maxDepth = 64

// attrNameRE is the form of a CloudEvents attribute name.
var attrNameRE = regexp.MustCompile(`^[a-z0-9]+$`)

// renamed says what to write instead of an EventBridge-only top-level key.
var renamed = map[string]string{
	"detail-type": `write "type" (the CloudEvents type attribute) instead of "detail-type"`,
	"detail":      `write "data" (the event payload) instead of "detail"`,
	"account":     `CloudEvents events have no "account" attribute: match a field of "data" or an extension attribute instead`,
	"region":      `CloudEvents events have no "region" attribute: match a field of "data" or an extension attribute instead`,
	"resources":   `CloudEvents events have no "resources" attribute: match "subject" or a field of "data" instead`,
}

// object checks one mapping of a pattern; path is its dotted path ("" at the top).
func (c *compiler) object(n *yaml.Node, path string, lv level, depth int) *object {
	if depth > maxDepth {
		c.add(n, path, "pattern nested more than %d levels deep", maxDepth)
		return nil
	}
	if !c.visit(n, path) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		if path == "" {
			c.add(n, path, "a pattern is an object naming fields, not %s", describe(n))
		} else {
			c.add(n, path, "expected an object of fields, got %s", describe(n))
		}
		return nil
	}
	if len(n.Content) == 0 {
		if path == "" {
			c.add(n, path, "empty pattern: a pattern is an object naming at least one field")
		} else {
			c.add(n, path, "empty object: name at least one field")
		}
		return nil
	}
	o := &object{}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := deref(n.Content[i]), deref(n.Content[i+1])
		if kn.Kind != yaml.ScalarNode {
			c.add(kn, path, "a field name must be a string, got %s", describe(kn))
			continue
		}
		key := kn.Value
		fp := join(path, key)
		if kn.ShortTag() == "!!merge" {
			c.add(kn, path, "YAML merge keys (<<) are not supported in patterns: write the fields out, or alias whole values")
			continue
		}
		if seen[key] {
			c.add(kn, fp, "field named twice")
			continue
		}
		seen[key] = true
		if key == "$or" {
			branches := c.or(vn, fp, path, lv, depth)
			if branches != nil {
				o.entries = append(o.entries, entry{key: key, or: branches})
			}
			continue
		}
		if lv == levelTop {
			if why, ok := renamed[key]; ok {
				c.add(kn, key, "%s", why)
				continue
			}
			if key == "data" {
				if vn.Kind != yaml.MappingNode {
					c.add(vn, key, "data holds an object: a pattern over the fields of the payload, not %s", describe(vn))
					continue
				}
				if sub := c.object(vn, key, levelData, depth+1); sub != nil {
					o.entries = append(o.entries, entry{key: key, sub: sub})
				}
				continue
			}
			if !attrNameRE.MatchString(key) {
				c.add(kn, key, "not an attribute name: CloudEvents attribute names are lowercase letters a-z and digits 0-9 (payload fields go under data)")
				continue
			}
			if vn.Kind == yaml.MappingNode {
				c.add(vn, key, "an attribute is a string and has no fields: give a list of values such as [\"x\"]")
				continue
			}
		}
		if vn.Kind == yaml.MappingNode {
			if sub := c.object(vn, fp, lv, depth+1); sub != nil {
				o.entries = append(o.entries, entry{key: key, sub: sub})
			}
			continue
		}
		if leaf := c.leaf(vn, fp); leaf != nil {
			o.entries = append(o.entries, entry{key: key, leaf: leaf})
		}
	}
	if len(o.entries) == 0 {
		return nil
	}
	sort.Slice(o.entries, func(i, j int) bool { return o.entries[i].key < o.entries[j].key })
	return o
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// or checks an $or: a list of two or more objects at the level path.
func (c *compiler) or(n *yaml.Node, fp, path string, lv level, depth int) []*object {
	if n.Kind != yaml.SequenceNode {
		c.add(n, fp, "$or takes a list of two or more patterns, got %s", describe(n))
		return nil
	}
	if len(n.Content) < 2 {
		c.add(n, fp, "$or takes a list of two or more patterns, got %d", len(n.Content))
		return nil
	}
	var out []*object
	ok := true
	for _, bn := range n.Content {
		bn = deref(bn)
		if bn.Kind != yaml.MappingNode {
			c.add(bn, fp, "each $or branch is an object of fields, got %s", describe(bn))
			ok = false
			continue
		}
		if len(bn.Content) == 0 {
			c.add(bn, fp, "empty $or branch: name at least one field")
			ok = false
			continue
		}
		b := c.object(bn, path, lv, depth+1)
		if b == nil {
			ok = false
			continue
		}
		out = append(out, b)
	}
	if !ok {
		return nil
	}
	return out
}

// leaf checks a leaf: a non-empty list of values and operators.
func (c *compiler) leaf(n *yaml.Node, fp string) []*matcher {
	if n.Kind != yaml.SequenceNode {
		c.add(n, fp, "a field's values are a list (such as [%s]), got %s", suggest(n), describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		c.add(n, fp, "empty list of values: it would never match")
		return nil
	}
	var out []*matcher
	ok := true
	for _, en := range n.Content {
		en = deref(en)
		if !c.visit(en, fp) {
			return nil
		}
		m := c.element(en, fp)
		if m == nil {
			ok = false
			continue
		}
		out = append(out, m)
	}
	if !ok {
		return nil
	}
	return out
}

func suggest(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		if v, ok := scalarJSON(n); ok {
			return v
		}
	}
	return `"value"`
}

// scalarJSON renders a scalar as JSON.
func scalarJSON(n *yaml.Node) (string, bool) {
	switch kind, s, f, b := scalar(n); kind {
	case opString:
		return quote(s), true
	case opNumber:
		return formatNum(f), true
	case opBool:
		return strconv.FormatBool(b), true
	case opNull:
		return "null", true
	}
	return "", false
}

// jsonNumberRE is the form of a JSON number.
var jsonNumberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// scalar classifies a scalar node: a string, a (finite) number, a boolean or null;
// opWildcard (as "none of these") for a number that is not finite.
func scalar(n *yaml.Node) (kind opKind, s string, f float64, b bool) {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return opString, n.Value, 0, false
	}
	tag := n.ShortTag()
	if n.Style&yaml.TaggedStyle != 0 && tag == "!!str" {
		return opString, n.Value, 0, false
	}
	if jsonNumberRE.MatchString(n.Value) && (tag == "!!int" || tag == "!!float" || tag == "!!str") {
		v, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || math.IsInf(v, 0) {
			return opWildcard, "", 0, false
		}
		return opNumber, "", v, false
	}
	switch tag {
	case "!!int":
		if v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return opNumber, "", float64(v), false
		}
		if v, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return opNumber, "", float64(v), false
		}
		v, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return opWildcard, "", 0, false
		}
		return opNumber, "", v, false
	case "!!float":
		v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return opWildcard, "", 0, false
		}
		return opNumber, "", v, false
	case "!!bool":
		v, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return opString, n.Value, 0, false
		}
		return opBool, "", 0, v
	case "!!null":
		return opNull, "", 0, false
	}
	return opString, n.Value, 0, false
}

// describe names the kind of a node for a problem message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "an object"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch kind, _, _, _ := scalar(n); kind {
		case opString:
			return "the string " + quote(n.Value)
		case opNumber:
			return "the number " + n.Value
		case opBool:
			return "the boolean " + n.Value
		case opNull:
			return "null"
		default:
			return "the non-finite number " + n.Value
		}
	}
	return "nothing"
}

// element checks one element of a leaf's list.
func (c *compiler) element(n *yaml.Node, fp string) *matcher {
	switch n.Kind {
	case yaml.ScalarNode:
		kind, s, f, b := scalar(n)
		switch kind {
		case opString:
			return &matcher{op: opString, s: s}
		case opNumber:
			return &matcher{op: opNumber, num: f}
		case opBool:
			return &matcher{op: opBool, b: b}
		case opNull:
			return &matcher{op: opNull}
		}
		c.add(n, fp, "%s is not a finite number", n.Value)
		return nil
	case yaml.SequenceNode:
		c.add(n, fp, "a list inside a list of values: give the values (or operators) directly")
		return nil
	case yaml.MappingNode:
	default:
		c.add(n, fp, "unexpected %s", describe(n))
		return nil
	}
	if len(n.Content) != 2 {
		if len(n.Content) == 0 {
			c.add(n, fp, "empty operator object: give one operator such as {\"prefix\": \"x\"}")
		} else {
			c.add(n, fp, "an operator object has exactly one operator, got %d keys", len(n.Content)/2)
		}
		return nil
	}
	kn, vn := deref(n.Content[0]), deref(n.Content[1])
	op := kn.Value
	switch op {
	case "prefix", "suffix":
		if vn.Kind == yaml.MappingNode && len(vn.Content) == 2 && deref(vn.Content[0]).Value == "equals-ignore-case" {
			s, ok := c.str(deref(vn.Content[1]), fp, op+" equals-ignore-case")
			if !ok {
				return nil
			}
			if op == "prefix" {
				return &matcher{op: opPrefixFold, s: s}
			}
			return &matcher{op: opSuffixFold, s: s}
		}
		s, ok := c.str(vn, fp, op)
		if !ok {
			return nil
		}
		if op == "prefix" {
			return &matcher{op: opPrefix, s: s}
		}
		return &matcher{op: opSuffix, s: s}
	case "equals-ignore-case":
		s, ok := c.str(vn, fp, op)
		if !ok {
			return nil
		}
		return &matcher{op: opEqualFold, s: s}
	case "wildcard":
		s, ok := c.str(vn, fp, op)
		if !ok {
			return nil
		}
		m, msg := wildcard(s)
		if msg != "" {
			c.add(vn, fp, "wildcard: %s", msg)
			return nil
		}
		return m
	case "exists":
		kind, _, _, b := scalar(vn)
		if vn.Kind != yaml.ScalarNode || kind != opBool {
			c.add(vn, fp, "exists takes true or false, got %s", describe(vn))
			return nil
		}
		return &matcher{op: opExists, b: b}
	case "cidr":
		s, ok := c.str(vn, fp, op)
		if !ok {
			return nil
		}
		pr, err := netip.ParsePrefix(s)
		if err != nil {
			c.add(vn, fp, "cidr: %q is not an IPv4 or IPv6 CIDR block such as \"10.0.0.0/8\" or \"2001:db8::/32\"", s)
			return nil
		}
		return &matcher{op: opCIDR, s: s, prefix: pr.Masked()}
	case "numeric":
		return c.numeric(vn, fp)
	case "anything-but":
		return c.anythingBut(vn, fp)
	}
	if kn.Kind != yaml.ScalarNode {
		c.add(kn, fp, "unknown operator %s", describe(kn))
	} else {
		c.add(kn, fp, "unknown operator %q (the operators are prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists, cidr)", op)
	}
	return nil
}

// str checks that the operand of op is a string.
func (c *compiler) str(n *yaml.Node, fp, op string) (string, bool) {
	if n.Kind == yaml.ScalarNode {
		if kind, s, _, _ := scalar(n); kind == opString {
			return s, true
		}
	}
	c.add(n, fp, "%s takes a string, got %s", op, describe(n))
	return "", false
}

// wildcard compiles a wildcard operand: * is any run of characters, \* a literal
// star, \\ a literal backslash; two stars in a row and any other escape are errors.
func wildcard(s string) (*matcher, string) {
	m := &matcher{op: opWildcard, s: s}
	var cur strings.Builder
	star := false // the previous character was an unescaped star
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch ch {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return nil, "a backslash escapes only * or \\ (write \\* or \\\\)"
			}
			i++
			cur.WriteByte(s[i])
			star = false
		case '*':
			if star {
				return nil, "consecutive wildcard characters (**) are not allowed"
			}
			star = true
			if i == 0 {
				m.lead = true
			} else {
				m.pieces = append(m.pieces, cur.String())
			}
			cur.Reset()
		default:
			cur.WriteByte(ch)
			star = false
		}
	}
	m.tail = star
	if !star {
		m.pieces = append(m.pieces, cur.String())
	}
	return m, ""
}

// numeric checks a numeric operand: ["op", n] or a range ["op", lo, "op", hi].
func (c *compiler) numeric(n *yaml.Node, fp string) *matcher {
	if n.Kind != yaml.SequenceNode {
		c.add(n, fp, "numeric takes a list such as [\">\", 0, \"<=\", 5], got %s", describe(n))
		return nil
	}
	k := len(n.Content)
	if k != 2 && k != 4 {
		if k > 4 {
			c.add(n, fp, "numeric takes at most two bounds (such as [\">\", 0, \"<=\", 5]), got %d elements", k)
		} else {
			c.add(n, fp, "numeric takes comparator and number pairs (such as [\">\", 0, \"<=\", 5]), got %d elements", k)
		}
		return nil
	}
	m := &matcher{op: opNumeric}
	var lower, upper *yaml.Node
	ok := true
	for i := 0; i+1 < k; i += 2 {
		on, vn := deref(n.Content[i]), deref(n.Content[i+1])
		opKind, cmp, _, _ := scalar(on)
		if on.Kind != yaml.ScalarNode || opKind != opString {
			c.add(on, fp, "numeric: expected a comparator (=, <, <=, >, >=), got %s", describe(on))
			ok = false
			continue
		}
		vk, _, v, _ := scalar(vn)
		if vn.Kind != yaml.ScalarNode || vk != opNumber {
			c.add(vn, fp, "numeric: %s takes a number, got %s", cmp, describe(vn))
			ok = false
			continue
		}
		switch cmp {
		case "=":
			if k != 2 {
				c.add(on, fp, "numeric: = takes a single number and no other bound")
				ok = false
				continue
			}
			m.eq, m.lo = true, v
		case ">", ">=":
			if lower != nil {
				c.add(on, fp, "numeric: two lower bounds (> or >=)")
				ok = false
				continue
			}
			lower = on
			m.hasLo, m.loIncl, m.lo = true, cmp == ">=", v
		case "<", "<=":
			if upper != nil {
				c.add(on, fp, "numeric: two upper bounds (< or <=)")
				ok = false
				continue
			}
			upper = on
			m.hasHi, m.hi2, m.hi = true, cmp == "<=", v
		default:
			c.add(on, fp, "numeric: unknown comparator %q (use =, <, <=, >, >=)", cmp)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	if m.hasLo && m.hasHi && m.lo >= m.hi {
		c.add(n, fp, "numeric: empty range: the lower bound %s is not below the upper bound %s", formatNum(m.lo), formatNum(m.hi))
		return nil
	}
	return m
}

// anythingBut checks an anything-but operand.
func (c *compiler) anythingBut(n *yaml.Node, fp string) *matcher {
	m := &matcher{op: opAnythingBut}
	switch n.Kind {
	case yaml.ScalarNode:
		switch kind, s, f, _ := scalar(n); kind {
		case opString:
			m.strs = []string{s}
		case opNumber:
			m.nums, m.isNum = []float64{f}, true
		default:
			c.add(n, fp, "anything-but takes a string, a number, a list of strings or of numbers, or an object such as {\"prefix\": \"x\"}, got %s", describe(n))
			return nil
		}
		return m
	case yaml.SequenceNode:
		m.list = true
		if len(n.Content) == 0 {
			c.add(n, fp, "anything-but: empty list")
			return nil
		}
		strs, nums := 0, 0
		c.nodes += len(n.Content)
		for _, en := range n.Content {
			en = deref(en)
			if en.Kind == yaml.ScalarNode {
				switch kind, s, f, _ := scalar(en); kind {
				case opString:
					strs++
					m.strs = append(m.strs, s)
					continue
				case opNumber:
					nums++
					m.nums = append(m.nums, f)
					continue
				}
			}
			c.add(en, fp, "anything-but: a list holds only strings or only numbers, got %s", describe(en))
			return nil
		}
		if strs > 0 && nums > 0 {
			c.add(n, fp, "anything-but: a list holds only strings or only numbers, not both")
			return nil
		}
		m.isNum = nums > 0
		return m
	case yaml.MappingNode:
		if len(n.Content) != 2 {
			c.add(n, fp, "anything-but: an operator object has exactly one operator (prefix, suffix, equals-ignore-case or wildcard), got %d keys", len(n.Content)/2)
			return nil
		}
		kn, vn := deref(n.Content[0]), deref(n.Content[1])
		op := kn.Value
		switch op {
		case "prefix", "suffix", "equals-ignore-case", "wildcard":
		default:
			c.add(kn, fp, "anything-but: unknown operator %q (use prefix, suffix, equals-ignore-case or wildcard)", op)
			return nil
		}
		var vals []*yaml.Node
		if vn.Kind == yaml.SequenceNode {
			m.list = true
			if len(vn.Content) == 0 {
				c.add(vn, fp, "anything-but %s: empty list", op)
				return nil
			}
			c.nodes += len(vn.Content)
			for _, en := range vn.Content {
				vals = append(vals, deref(en))
			}
		} else {
			vals = []*yaml.Node{vn}
		}
		for _, en := range vals {
			s, ok := c.str(en, fp, "anything-but "+op)
			if !ok {
				return nil
			}
			var im *matcher
			switch op {
			case "prefix":
				im = &matcher{op: opPrefix, s: s}
			case "suffix":
				im = &matcher{op: opSuffix, s: s}
			case "equals-ignore-case":
				im = &matcher{op: opEqualFold, s: s}
			case "wildcard":
				var msg string
				if im, msg = wildcard(s); msg != "" {
					c.add(en, fp, "anything-but wildcard: %s", msg)
					return nil
				}
			}
			m.inner = append(m.inner, im)
		}
		return m
	}
	c.add(n, fp, "anything-but: unexpected %s", describe(n))
	return nil
}
