package topology

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// KindSpec describes how topology files write a transport kind: the settings it accepts
// and how to decode and validate them. Each kind's package under internal/transport
// provides its own; topology knows no kind itself.
type KindSpec struct {
	// Keys are the settings the kind accepts besides kind; any other key is an error.
	Keys []string
	// Decode reads the settings of one transport. Problems are reported with
	// Settings.Errorf and keep their file:line:col positions; the value returned
	// becomes Transport.Settings.
	Decode func(s *Settings) any
	// Database is true when the settings Decode returns implement Database: a
	// transport of this kind can hold an outbox and the delivery log.
	Database bool
	// CheckTopic, when set, returns why a topic (or pattern of topics) cannot live on a
	// transport of this kind, or "" when it can. The loader reports it as `topic "t"
	// lives on <kind> transport "x", whose <message>`, so the message names what is
	// wrong: "table name watermill_t would be 70 bytes; ...".
	CheckTopic func(topic string, pattern bool) string
	// LocksWhileHandling, when set, reports whether a transport with these settings
	// holds its single write lock while a message it delivered is being handled
	// (SQLite): nothing handling its messages can publish to it, so a route from one of
	// its topics to another of its topics is a load error.
	LocksWhileHandling func(settings any) bool
}

var (
	kindsMu    sync.RWMutex
	registered = map[Kind]KindSpec{}
)

// RegisterKind makes kind loadable from topology files. It panics for a kind registered
// twice or a spec without Decode: registration happens once, at start-up.
func RegisterKind(kind Kind, spec KindSpec) {
	if kind == "" || spec.Decode == nil {
		panic("topology: RegisterKind needs a kind name and a Decode function")
	}
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if _, dup := registered[kind]; dup {
		panic(fmt.Sprintf("topology: kind %q registered twice", kind))
	}
	spec.Keys = append([]string{"kind"}, spec.Keys...)
	registered[kind] = spec
}

// LookupKind returns the spec registered for kind; its Keys start with "kind".
func LookupKind(kind Kind) (KindSpec, bool) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	s, ok := registered[kind]
	return s, ok
}

// Kinds returns the registered kinds, sorted.
func Kinds() []Kind {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := make([]Kind, 0, len(registered))
	for k := range registered {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// databaseKinds returns the registered kinds that are SQL databases, sorted.
func databaseKinds() []string {
	var out []string
	for _, k := range Kinds() {
		if s, _ := LookupKind(k); s.Database {
			out = append(out, string(k))
		}
	}
	return out
}

// Settings are the settings of one transport of a registered kind, as its Decode reads
// them: each accessor expands ${ENV} references and reports a malformed value at its
// position.
type Settings struct {
	l     *loader
	m     *mapping
	te    entry
	field string
}

// Transport is the name of the transport being decoded.
func (s *Settings) Transport() string { return s.te.name }

// Has reports whether key is set.
func (s *Settings) Has(key string) bool {
	_, ok := s.m.get(key)
	return ok
}

// String returns the value of key; ok is false when it is absent or malformed.
func (s *Settings) String(key string) (v string, ok bool) {
	v, _, ok = s.l.str(s.m, key, s.field)
	return v, ok
}

// Required returns the value of key, reporting it missing or empty; hint follows the
// "is required" message.
func (s *Settings) Required(key, hint string) (string, bool) {
	return s.l.required(s.m, key, s.field, s.te, hint)
}

// Int returns the integer value of key, at least lo.
func (s *Settings) Int(key string, lo int64) (v int64, ok bool) {
	v, _, ok = s.l.integer(s.m, key, s.field, lo)
	return v, ok
}

// Bool returns the boolean value of key.
func (s *Settings) Bool(key string) (v bool, ok bool) {
	v, _, ok = s.l.boolean(s.m, key, s.field)
	return v, ok
}

// OneOf returns the value of key, which is required and must be one of valid; an
// unknown value is reported with the valid ones and the nearest of them. hint follows
// the "is required" message.
func (s *Settings) OneOf(key string, valid []string, hint string) (string, bool) {
	v, ok := s.Required(key, hint)
	if !ok {
		return "", false
	}
	if slices.Contains(valid, v) {
		return v, true
	}
	msg := fmt.Sprintf("unknown %s %q (valid: %s)", key, v, strings.Join(valid, ", "))
	if sg := suggest(v, valid); sg != "" {
		msg += fmt.Sprintf("; did you mean %q?", sg)
	}
	s.Errorf(key, "%s", msg)
	return "", false
}

// Secret returns the value of key as a Secret, masked when printed.
func (s *Settings) Secret(key string) (Secret, bool) {
	v, ok := s.String(key)
	return Secret(v), ok
}

// Redact masks the credentials in v (URL userinfo, MySQL DSN passwords), for messages.
func Redact(v string) string { return redact(v) }

// Duration returns the duration value of key ("100ms"); zero is an error unless
// allowZero.
func (s *Settings) Duration(key string, allowZero bool) (v time.Duration, ok bool) {
	v, _, ok = s.l.duration(s.m, key, s.field, allowZero)
	return v, ok
}

// Errorf reports a problem with key at its value's position, or at the transport's name
// when key is absent.
func (s *Settings) Errorf(key, format string, args ...any) {
	p := posOf(s.te.key)
	if e, ok := s.m.get(key); ok {
		p = posOf(e.val)
	}
	s.l.addf(p, join(s.field, key), format, args...)
}
