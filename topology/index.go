package topology

import (
	"fmt"
	"sort"
	"strings"
)

// index makes Resolve and Handler cheap: a map for exact topic names, and the patterns
// grouped by segment count, most specific first.
type index struct {
	exact    map[string]*Topic
	patterns map[int][]compiledPattern
	handlers map[string]*Handler
	routes   map[string]*Route
}

// compiledPattern is a pattern topic split into segments.
type compiledPattern struct {
	segs  []string
	topic *Topic
}

func newIndex() *index {
	return &index{
		exact:    map[string]*Topic{},
		patterns: map[int][]compiledPattern{},
		handlers: map[string]*Handler{},
		routes:   map[string]*Route{},
	}
}

// buildIndex indexes a topology that was not made by the loader.
func buildIndex(t *Topology) *index {
	idx := newIndex()
	for _, tp := range t.Topics {
		idx.add(tp)
	}
	idx.sortPatterns()
	for _, h := range t.Handlers {
		idx.handlers[h.Name] = h
	}
	for _, r := range t.Routes {
		idx.routes[r.Name] = r
	}
	return idx
}

// add indexes a topic; the first topic of a name wins.
func (idx *index) add(tp *Topic) {
	if _, dup := idx.exact[tp.Name]; dup {
		return
	}
	idx.exact[tp.Name] = tp
	if isPattern(tp.Name) {
		segs := strings.Split(tp.Name, ".")
		idx.patterns[len(segs)] = append(idx.patterns[len(segs)], compiledPattern{segs: segs, topic: tp})
	}
}

// sortPatterns orders each group by the number of "*" segments: a pattern more specific
// than another always has fewer, so the first match is the most specific one.
func (idx *index) sortPatterns() {
	for _, ps := range idx.patterns {
		sort.SliceStable(ps, func(i, j int) bool { return countStars(ps[i].segs) < countStars(ps[j].segs) })
	}
}

// resolve returns the topic entry for a concrete topic, or nil.
func (idx *index) resolve(topic string) *Topic {
	if tp, ok := idx.exact[topic]; ok {
		return tp
	}
	for _, p := range idx.patterns[strings.Count(topic, ".")+1] {
		if matchSegments(p.segs, topic) {
			return p.topic
		}
	}
	return nil
}

// Resolve returns the topic entry that carries topic: the entry of that exact name, else
// the most specific pattern that matches it. The error wraps ErrUndeclaredTopic when no
// entry covers the topic. Resolve does not allocate on success.
func (t *Topology) Resolve(topic string) (*Topic, error) {
	idx := t.index
	if idx == nil {
		idx = buildIndex(t)
	}
	if tp := idx.resolve(topic); tp != nil {
		return tp, nil
	}
	return nil, fmt.Errorf("resolve %q: %w", topic, ErrUndeclaredTopic)
}

// Handler returns the handler entry called name.
func (t *Topology) Handler(name string) (*Handler, bool) {
	if t.index != nil {
		h, ok := t.index.handlers[name]
		return h, ok
	}
	for _, h := range t.Handlers {
		if h.Name == name {
			return h, true
		}
	}
	return nil, false
}

// Route returns the route entry called name.
func (t *Topology) Route(name string) (*Route, bool) {
	if t.index != nil {
		r, ok := t.index.routes[name]
		return r, ok
	}
	for _, r := range t.Routes {
		if r.Name == name {
			return r, true
		}
	}
	return nil, false
}

// Transport returns the transport called name.
func (t *Topology) Transport(name string) (*Transport, bool) {
	tr, ok := t.Transports[name]
	return tr, ok
}
