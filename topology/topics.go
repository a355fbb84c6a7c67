package topology

import (
	"fmt"
	"strings"
)

func (l *loader) parseTopics(e entry) {
	m, ok := l.mapping(e.val, "topics")
	if !ok {
		return
	}
	for _, te := range m.entries {
		l.parseTopic(te)
	}
}

func (l *loader) parseTopic(te entry) {
	field := join("topics", te.name)
	tp := &Topic{Name: te.name, Delivery: Shared, Pos: posOf(te.key)}
	nameOK := true
	if msg := checkTopicName(te.name, true); msg != "" {
		l.addf(tp.Pos, field, "%s", msg)
		nameOK = false
	}
	m, ok := l.mapping(te.val, field)
	if !ok {
		return
	}
	l.checkKeys(m, secTopic, field)

	if name, p, ok := l.str(m, "transport", field); ok {
		tp.Transport = name
		l.checkTransportRef(name, p, join(field, "transport"))
	} else if _, present := m.get("transport"); !present {
		l.addf(tp.Pos, join(field, "transport"), "transport is required (declared: %s)", strings.Join(names(l.transports), ", "))
	}
	if name, p, ok := l.str(m, "outbox", field); ok && name != "" {
		tp.Outbox = name
		if l.checkTransportRef(name, p, join(field, "outbox")) {
			if tr := l.transports[name]; tr.Kind != "" && !isDatabase(tr) {
				l.addf(p, join(field, "outbox"), "outbox %q is a %s transport; an outbox must be a %s transport", name, tr.Kind, databaseKindList())
			}
		}
	}
	if d, p, ok := l.str(m, "delivery", field); ok {
		switch Delivery(d) {
		case Shared, Broadcast:
			tp.Delivery = Delivery(d)
		default:
			msg := fmt.Sprintf("unknown delivery %q (valid: shared, broadcast)", d)
			if s := suggest(d, []string{string(Shared), string(Broadcast)}); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			l.addf(p, join(field, "delivery"), "%s", msg)
		}
	}
	if nameOK {
		l.checkKindTopic(tp.Name, tp.Transport, tp.Pos, field)
	}
	l.t.Topics = append(l.t.Topics, tp)
	l.idx.add(tp)
}

// checkTransportRef reports a reference to an undeclared transport.
func (l *loader) checkTransportRef(name string, p Pos, field string) bool {
	if _, ok := l.transports[name]; ok {
		return true
	}
	declared := names(l.transports)
	msg := fmt.Sprintf("unknown transport %q (declared: %s)", name, strings.Join(declared, ", "))
	if len(declared) == 0 {
		msg = fmt.Sprintf("unknown transport %q (no transports are declared)", name)
	}
	if s := suggest(name, declared); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	l.addf(p, field, "%s", msg)
	return false
}

// checkKindTopic reports a topic that the kind of its transport cannot hold (see
// KindSpec.CheckTopic).
func (l *loader) checkKindTopic(topic, transport string, p Pos, field string) {
	tr, ok := l.transports[transport]
	if !ok || tr.Kind == "" {
		return
	}
	spec, _ := LookupKind(tr.Kind)
	if spec.CheckTopic == nil {
		return
	}
	msg := spec.CheckTopic(topic, isPattern(topic))
	switch {
	case msg == "":
	case isPattern(topic):
		l.addf(p, field, "topics matching %q live on %s transport %q, whose %s", topic, tr.Kind, transport, msg)
	default:
		l.addf(p, field, "topic %q lives on %s transport %q, whose %s", topic, tr.Kind, transport, msg)
	}
}

// isDatabase reports whether tr is a SQL database (see Database).
func isDatabase(tr *Transport) bool {
	_, ok := tr.Settings.(Database)
	return ok
}

// databaseKindList names the kinds that are SQL databases, for messages ("sql").
func databaseKindList() string {
	if k := databaseKinds(); len(k) > 0 {
		return strings.Join(k, " or ")
	}
	return "SQL database"
}

// checkAmbiguity reports pairs of patterns that both match some topic when neither is
// more specific and no entry covers their overlap.
func (l *loader) checkAmbiguity() {
	var pats []compiledPattern
	for _, tp := range l.t.Topics {
		if isPattern(tp.Name) && l.idx.exact[tp.Name] == tp {
			pats = append(pats, compiledPattern{segs: strings.Split(tp.Name, "."), topic: tp})
		}
	}
	for j := range pats {
		for i := 0; i < j; i++ {
			a, b := pats[i], pats[j]
			if !overlap(a.segs, b.segs) || moreSpecific(a.segs, b.segs) || moreSpecific(b.segs, a.segs) {
				continue
			}
			meet := make([]string, len(a.segs))
			example := make([]string, len(a.segs))
			for k := range meet {
				meet[k] = a.segs[k]
				if meet[k] == "*" {
					meet[k] = b.segs[k]
				}
				example[k] = meet[k]
				if example[k] == "*" {
					example[k] = "x"
				}
			}
			if _, covered := l.idx.exact[strings.Join(meet, ".")]; covered {
				continue
			}
			l.addf(b.topic.Pos, join("topics", b.topic.Name),
				"patterns %q (line %d col %d) and %q (line %d col %d) both match topics such as %q and neither is more specific; declare %q or make one pattern narrower",
				a.topic.Name, a.topic.Pos.Line, a.topic.Pos.Col, b.topic.Name, b.topic.Pos.Line, b.topic.Pos.Col,
				strings.Join(example, "."), strings.Join(meet, "."))
		}
	}
}
