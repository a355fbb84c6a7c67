package topology

import (
	"fmt"
	"slices"
	"strings"

	"github.com/millrace/millrace/topology/pattern"
)

// parseFilter compiles the filter of the handler or route entry m, reporting each
// problem of the pattern at its position. It returns nil when there is no filter or it
// is invalid.
func (l *loader) parseFilter(m *mapping, field string) *pattern.Pattern {
	e, ok := m.get("filter")
	if !ok {
		return nil
	}
	ff := join(field, "filter")
	p, problems := pattern.FromNode(e.val)
	for _, pr := range problems {
		f := ff
		if pr.Field != "" {
			f = join(ff, pr.Field)
		}
		l.addf(Pos{Line: max(pr.Line, 1), Col: max(pr.Col, 1)}, f, "%s", pr.Msg)
	}
	if len(problems) > 0 {
		return nil
	}
	return p
}

// parseRouteTo reads the topic a route forwards to: one declared, concrete topic.
func (l *loader) parseRouteTo(m *mapping, hi *handlerInput) {
	field := join(hi.field, "to")
	to, p, ok := l.str(m, "to", hi.field)
	if !ok {
		if _, present := m.get("to"); !present {
			l.addf(hi.key, field, "to is required (the declared topic that matching messages are forwarded to)")
		}
		return
	}
	hi.toPos = p
	if msg := checkTopicName(to, false); msg != "" {
		if isPattern(to) {
			msg = fmt.Sprintf("to must be one concrete topic, not the glob %q", to)
		}
		l.addf(p, field, "%s", msg)
		return
	}
	tp := l.idx.resolve(to)
	if tp == nil {
		l.undeclaredTopic(to, p, field)
		return
	}
	if tp.IsPattern() {
		l.checkKindTopic(to, tp.Transport, p, field)
	}
	hi.route.To = to
}

// undeclaredTopic reports that topic, named at p by field, is not declared, suggesting
// the nearest declared name.
func (l *loader) undeclaredTopic(topic string, p Pos, field string) {
	var declared []string
	for _, t := range l.t.Topics {
		declared = append(declared, t.Name)
	}
	msg := fmt.Sprintf("topic %q is not declared in topics", topic)
	if s := suggest(topic, declared); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	l.addf(p, field, "%s", msg)
}

// consumes reports whether the handler or route h consumes topic: it is one of its
// topics, or its pattern matches it.
func consumes(h *Handler, topic string) bool {
	if slices.Contains(h.Topics, topic) {
		return true
	}
	return isPattern(h.Pattern) && matchSegments(strings.Split(h.Pattern, "."), topic)
}

// checkRoutes reports routes that would forward a message more than once: a route from
// a broadcast topic (every running instance would forward it), one that consumes what
// it forwards, and routes that forward to each other in a loop. Filters are not
// considered: a forwarded message keeps its attributes and payload, so a filter that
// matched it once matches it again.
func (l *loader) checkRoutes(hs []*handlerInput) {
	var routes []*handlerInput
	for _, hi := range hs {
		if hi.route != nil {
			routes = append(routes, hi)
		}
	}
	for _, hi := range routes {
		r := hi.route
		for _, topic := range r.Topics {
			if tp := l.idx.resolve(topic); tp != nil && tp.Delivery == Broadcast {
				l.addf(hi.topicPos, join(hi.field, "from"),
					"topic %q is broadcast: every running instance of the route would forward each message; a route consumes shared topics only", topic)
			}
		}
		if r.To != "" && consumes(&r.Handler, r.To) {
			l.addf(hi.toPos, join(hi.field, "to"),
				"route %q forwards to %q, which its from %q also consumes: every message it forwards would be forwarded again", r.Name, r.To, r.Pattern)
		} else if r.To != "" {
			l.checkRouteLock(hi)
		}
	}
	// A loop of two or more routes: from each route, follow the routes consuming what it
	// forwards. The loop is reported once, at its first route in file order.
	for i, hi := range routes {
		if hi.route.To == "" || consumes(&hi.route.Handler, hi.route.To) {
			continue
		}
		if path := routeLoop(routes, i); path != nil {
			names := make([]string, len(path))
			for k, j := range path {
				names[k] = routes[j].route.Name
			}
			if slices.Min(path) == i {
				l.addf(hi.toPos, join(hi.field, "to"), "routes %s -> %s form a loop: a message forwarded by one comes back to it",
					strings.Join(names, " -> "), names[0])
			}
		}
	}
}

// checkRouteLock reports a route within one transport that holds its write lock while
// a delivered message is handled: the forward would wait for the lock of the delivery
// it forwards.
func (l *loader) checkRouteLock(hi *handlerInput) {
	to := l.idx.resolve(hi.route.To)
	if to == nil {
		return
	}
	for _, topic := range hi.route.Topics {
		from := l.idx.resolve(topic)
		if from == nil || from.Transport != to.Transport {
			continue
		}
		tr := l.transports[to.Transport]
		if tr == nil {
			return
		}
		if spec, ok := LookupKind(tr.Kind); ok && spec.LocksWhileHandling != nil && spec.LocksWhileHandling(tr.Settings) {
			l.addf(hi.toPos, join(hi.field, "to"),
				"route %q forwards from %q to %q, both on transport %q, which holds its only write lock while a message it delivered is handled: the forward would wait for itself; put %q on another transport",
				hi.route.Name, topic, hi.route.To, to.Transport, hi.route.To)
		}
		return
	}
}

// routeLoop returns the indexes of a chain of routes that starts at routes[start] and
// leads back to it, or nil.
func routeLoop(routes []*handlerInput, start int) []int {
	seen := make([]bool, len(routes))
	var walk func(i int, path []int) []int
	walk = func(i int, path []int) []int {
		path = append(path, i)
		to := routes[i].route.To
		if to == "" {
			return nil
		}
		for j, next := range routes {
			if !consumes(&next.route.Handler, to) {
				continue
			}
			if j == start {
				return path
			}
			if seen[j] {
				continue
			}
			seen[j] = true
			if found := walk(j, path); found != nil {
				return found
			}
		}
		return nil
	}
	seen[start] = true
	return walk(start, nil)
}
