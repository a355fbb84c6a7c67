package topology

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/millrace/millrace/topology/pattern"
)

// Load reads and validates the topology file at path, expanding ${VAR} references from
// the process environment. Problems in the file are returned as an ErrorList.
func Load(path string) (*Topology, error) {
	return LoadWithEnv(path, os.LookupEnv)
}

// LoadWithEnv is Load with environment variables looked up by lookup.
func LoadWithEnv(path string, lookup LookupFunc) (*Topology, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load topology: %w", err)
	}
	return ParseWithEnv(path, data, lookup)
}

// Parse validates the topology in data, expanding ${VAR} references from the process
// environment. file is the name errors are reported against. Every problem found is
// returned at once as an ErrorList.
func Parse(file string, data []byte) (*Topology, error) {
	return ParseWithEnv(file, data, os.LookupEnv)
}

// ParseWithEnv is Parse with environment variables looked up by lookup; a nil lookup
// treats every variable as unset.
func ParseWithEnv(file string, data []byte, lookup LookupFunc) (*Topology, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	l := &loader{file: file, lookup: lookup}
	t := l.load(data)
	if len(l.errs) > 0 {
		return nil, sortErrors(l.errs)
	}
	return t, nil
}

// loader walks one file's node tree and collects every problem.
type loader struct {
	file   string
	lookup LookupFunc
	errs   ErrorList

	t *Topology
	// transports holds every declared transport, including broken ones, so a topic
	// naming one does not report a second problem.
	transports map[string]*Transport
	idx        *index
}

// entry is one key/value pair of a mapping, aliases resolved.
type entry struct {
	name     string
	key, val *yaml.Node
}

// mapping is a YAML mapping without duplicate keys, in file order.
type mapping struct {
	pos     Pos
	entries []entry
	byName  map[string]entry
}

// get returns the entry for key unless it is absent or null.
func (m *mapping) get(key string) (entry, bool) {
	e, ok := m.byName[key]
	if !ok || isNull(e.val) {
		return entry{}, false
	}
	return e, true
}

func (l *loader) addf(p Pos, field, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: l.file, Line: p.Line, Col: p.Col, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func posOf(n *yaml.Node) Pos {
	return Pos{Line: max(n.Line, 1), Col: max(n.Column, 1)}
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	default:
		return "node"
	}
}

// load parses data and fills l.t; problems go to l.errs.
func (l *loader) load(data []byte) *Topology {
	root, err := decode(data)
	if err != nil {
		pr := pattern.SyntaxProblem(err)
		l.addf(Pos{Line: pr.Line, Col: 1}, "", "invalid YAML: %s", pr.Msg)
		return nil
	}
	if root == nil {
		l.addf(Pos{1, 1}, "", "file is empty; a topology starts with \"version: 1\"")
		return nil
	}
	doc := deref(root)
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = deref(doc.Content[0])
	}
	if doc.Kind != yaml.MappingNode {
		l.addf(posOf(doc), "", "top level must be a mapping with version, transports, topics, defaults, handlers and routes, got a %s", kindName(doc))
		return nil
	}
	top, _ := l.mapping(doc, "")
	l.checkKeys(top, secTopology, "")

	l.t = &Topology{File: l.file, Transports: map[string]*Transport{}}
	l.transports = map[string]*Transport{}
	l.idx = newIndex()

	l.version(top)
	if e, ok := top.get("transports"); ok {
		l.parseTransports(e)
	}
	if e, ok := top.get("topics"); ok {
		l.parseTopics(e)
	}
	l.idx.sortPatterns()
	l.checkAmbiguity()
	if e, ok := top.get("trace"); ok {
		l.parseTrace(e)
	}

	defaults := l.parsePolicy(top, "defaults", secDefaults)
	l.t.Defaults = defaults.merge(builtinPolicy(), "")
	l.checkRetryOrder(defaults, builtinPolicy(), "defaults")

	var consumers []*handlerInput
	if e, ok := top.get("handlers"); ok {
		consumers = append(consumers, l.parseConsumers(e, defaults, handlersSection)...)
	}
	if e, ok := top.get("routes"); ok {
		consumers = append(consumers, l.parseConsumers(e, defaults, routesSection)...)
	}
	l.finishConsumers(consumers, defaults)
	for _, h := range l.t.Handlers {
		l.idx.handlers[h.Name] = h
	}
	for _, r := range l.t.Routes {
		l.idx.routes[r.Name] = r
	}
	l.t.index = l.idx
	return l.t
}

// decode parses the YAML into a node tree. A file with only comments gives a nil node.
// A second document is an error.
func decode(data []byte) (root *yaml.Node, err error) {
	defer func() {
		// yaml.v3 panics on some malformed inputs; report them as syntax errors.
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("yaml: %v", r)
		}
	}()
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("yaml: line %d: a topology file holds one YAML document; found a second one", max(extra.Line, 1))
	} else if !errors.Is(err, io.EOF) {
		return nil, err
	}
	return &n, nil
}

// mapping checks that n is a mapping (null counts as empty) and returns its entries,
// reporting duplicate and non-scalar keys.
func (l *loader) mapping(n *yaml.Node, field string) (*mapping, bool) {
	n = deref(n)
	m := &mapping{pos: posOf(n), byName: map[string]entry{}}
	if isNull(n) {
		return m, true
	}
	if n.Kind != yaml.MappingNode {
		name := field
		if name == "" {
			name = "value"
		}
		l.addf(posOf(n), field, "%s must be a mapping, got a %s", name, kindName(n))
		return m, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			l.addf(posOf(k), field, "keys must be plain names, got a %s", kindName(k))
			continue
		}
		if k.Tag == "!!merge" {
			l.addf(posOf(k), field, "merge keys (<<) are not supported; write the settings out")
			continue
		}
		if first, dup := m.byName[k.Value]; dup {
			fp := posOf(first.key)
			l.addf(posOf(k), join(field, k.Value), "duplicate key %q (first at line %d col %d)", k.Value, fp.Line, fp.Col)
			continue
		}
		e := entry{name: k.Value, key: k, val: v}
		m.byName[k.Value] = e
		m.entries = append(m.entries, e)
	}
	return m, true
}

// checkKeys reports the keys of m that section does not know.
func (l *loader) checkKeys(m *mapping, section, field string) {
	l.checkKnownKeys(m, knownKeys[section], field)
}

// checkKnownKeys reports the keys of m that are not in known.
func (l *loader) checkKnownKeys(m *mapping, known []string, field string) {
	for _, e := range m.entries {
		if slices.Contains(known, e.name) {
			continue
		}
		where := "here"
		if field != "" {
			where = "in " + field
		}
		msg := fmt.Sprintf("unknown key %q %s (known: %s)", e.name, where, strings.Join(known, ", "))
		if s := suggest(e.name, known); s != "" {
			msg = fmt.Sprintf("unknown key %q %s; did you mean %q?", e.name, where, s)
		}
		l.addf(posOf(e.key), join(field, e.name), "%s", msg)
	}
}

// scalar returns the expanded value of e, reporting non-scalar values and failed
// expansions.
func (l *loader) scalar(e entry, field string) (string, bool) {
	if e.val.Kind != yaml.ScalarNode {
		l.addf(posOf(e.val), field, "expected a single value, got a %s", kindName(e.val))
		return "", false
	}
	s, err := expandEnv(e.val.Value, l.lookup)
	if err != nil {
		l.addf(posOf(e.val), field, "%v", err)
		return "", false
	}
	return s, true
}

// str reads an optional string setting.
func (l *loader) str(m *mapping, key, parent string) (string, Pos, bool) {
	e, ok := m.get(key)
	if !ok {
		return "", Pos{}, false
	}
	s, ok := l.scalar(e, join(parent, key))
	return s, posOf(e.val), ok
}

// setting reads the optional scalar setting key of m: its text, position and dotted
// field name. ok is false when the key is absent or not a scalar (already reported).
func (l *loader) setting(m *mapping, key, parent string) (s string, p Pos, field string, ok bool) {
	e, present := m.get(key)
	if !present {
		return "", Pos{}, "", false
	}
	field = join(parent, key)
	s, ok = l.scalar(e, field)
	if !ok {
		return "", Pos{}, field, false
	}
	return s, posOf(e.val), field, true
}

// integer reads an optional integer setting that must be at least lo.
func (l *loader) integer(m *mapping, key, parent string, lo int64) (int64, Pos, bool) {
	s, p, field, ok := l.setting(m, key, parent)
	if !ok {
		return 0, p, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n > math.MaxInt32 {
		l.addf(p, field, "must be an integer (at least %d), got %q", lo, s)
		return 0, p, false
	}
	if n < lo {
		l.addf(p, field, "must be at least %d, got %d", lo, n)
		return 0, p, false
	}
	return n, p, true
}

// boolean reads an optional true/false setting.
func (l *loader) boolean(m *mapping, key, parent string) (bool, Pos, bool) {
	s, p, field, ok := l.setting(m, key, parent)
	if !ok {
		return false, p, false
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, p, true
	case "false":
		return false, p, true
	}
	l.addf(p, field, "must be true or false, got %q", s)
	return false, p, false
}

// duration reads an optional duration setting ("100ms", "5s"); zero is allowed only
// when allowZero is set, negative never.
func (l *loader) duration(m *mapping, key, parent string, allowZero bool) (time.Duration, Pos, bool) {
	s, p, field, ok := l.setting(m, key, parent)
	if !ok {
		return 0, p, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		l.addf(p, field, "must be a duration with a unit such as 100ms, 5s or 1m, got %q", s)
		return 0, p, false
	}
	switch {
	case d < 0:
		l.addf(p, field, "must not be negative, got %s", s)
		return 0, p, false
	case d == 0 && !allowZero:
		l.addf(p, field, "must be greater than 0")
		return 0, p, false
	}
	return d, p, true
}

// float reads an optional number setting that must be at least lo.
func (l *loader) float(m *mapping, key, parent string, lo float64) (float64, Pos, bool) {
	s, p, field, ok := l.setting(m, key, parent)
	if !ok {
		return 0, p, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		l.addf(p, field, "must be a number (at least %g), got %q", lo, s)
		return 0, p, false
	}
	if f < lo {
		l.addf(p, field, "must be at least %g, got %g", lo, f)
		return 0, p, false
	}
	return f, p, true
}

func (l *loader) version(top *mapping) {
	e, ok := top.get("version")
	if !ok {
		l.addf(top.pos, "version", "version is required; write \"version: 1\" at the top")
		return
	}
	s, ok := l.scalar(e, "version")
	if !ok {
		return
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || v != 1 {
		l.addf(posOf(e.val), "version", "unsupported version %q; this loader reads version 1", s)
		return
	}
	l.t.Version = v
}

// names returns the sorted keys of a map, for messages.
func names[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func kindList() string {
	all := Kinds()
	if len(all) == 0 {
		return "none registered: import internal/transport/builtin"
	}
	s := make([]string, len(all))
	for i, k := range all {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
