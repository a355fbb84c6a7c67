package topology

import (
	"fmt"
	"strings"
)

func (l *loader) parseTransports(e entry) {
	m, ok := l.mapping(e.val, "transports")
	if !ok {
		return
	}
	for _, te := range m.entries {
		field := join("transports", te.name)
		if msg := checkTransportName(te.name); msg != "" {
			l.addf(posOf(te.key), field, "%s", msg)
		}
		tr := l.parseTransport(te, field)
		l.transports[te.name] = tr
		if tr.Kind != "" {
			l.t.Transports[te.name] = tr
		}
	}
}

// parseTransport returns the transport of one entry; its Kind is empty when the kind is
// missing or unknown.
func (l *loader) parseTransport(te entry, field string) *Transport {
	tr := &Transport{Name: te.name, Pos: posOf(te.key)}
	m, ok := l.mapping(te.val, field)
	if !ok {
		return tr
	}
	kindField := join(field, "kind")
	k, kp, ok := l.str(m, "kind", field)
	if !ok {
		if _, present := m.get("kind"); !present {
			l.addf(posOf(te.key), kindField, "kind is required (one of %s)", kindList())
		}
		return tr
	}
	spec, known := LookupKind(Kind(k))
	if !known {
		msg := fmt.Sprintf("unknown transport kind %q (valid: %s)", k, kindList())
		if s := suggest(k, strings.Split(kindList(), ", ")); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		l.addf(kp, kindField, "%s", msg)
		return tr
	}
	l.checkKnownKeys(m, spec.Keys, field)
	tr.Settings = spec.Decode(&Settings{l: l, m: m, te: te, field: field})
	tr.Kind = Kind(k)
	return tr
}

// required reads a string setting that must be present and non-empty.
func (l *loader) required(m *mapping, key, field string, te entry, hint string) (string, bool) {
	v, p, ok := l.str(m, key, field)
	if !ok {
		if _, present := m.get(key); !present {
			l.addf(posOf(te.key), join(field, key), "%s is required%s", key, hint)
		}
		return "", false
	}
	if strings.TrimSpace(v) == "" {
		l.addf(p, join(field, key), "%s must not be empty%s", key, hint)
		return "", false
	}
	return v, true
}
