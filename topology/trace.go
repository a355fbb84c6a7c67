package topology

import "strings"

// Trace configures the delivery log: the router records every published message and
// every handler outcome in the database of a SQL transport, and `millrace trace` reads
// the causal tree of a correlation id back from it.
type Trace struct {
	// Store names the sql transport whose database holds the delivery log.
	Store string
	Pos   Pos
}

// parseTrace reads the optional top-level trace section; transports must be parsed
// first.
func (l *loader) parseTrace(e entry) {
	m, ok := l.mapping(e.val, "trace")
	if !ok {
		return
	}
	l.checkKeys(m, secTrace, "trace")
	tr := &Trace{Pos: posOf(e.key)}
	name, p, ok := l.str(m, "store", "trace")
	if !ok {
		if _, present := m.get("store"); !present {
			l.addf(tr.Pos, "trace.store", "store is required: the %s transport that keeps the delivery log (%s transports: %s)", databaseKindList(), databaseKindList(), strings.Join(l.sqlTransports(), ", "))
		}
		return
	}
	if name == "" {
		l.addf(p, "trace.store", "store must name a %s transport", databaseKindList())
		return
	}
	tr.Store = name
	if !l.checkTransportRef(name, p, "trace.store") {
		return
	}
	if t := l.transports[name]; t.Kind != "" && !isDatabase(t) {
		l.addf(p, "trace.store", "trace store %q is a %s transport; the delivery log needs a %s transport", name, t.Kind, databaseKindList())
		return
	}
	l.t.Trace = tr
}

// sqlTransports returns the names of the declared sql transports, sorted, or "none".
func (l *loader) sqlTransports() []string {
	var out []string
	for _, name := range names(l.transports) {
		if isDatabase(l.transports[name]) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}
