package topology

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// KindSpec describes a transport kind that a package outside topology provides: the
// settings it accepts and how to decode and validate them. The built-in kinds (amqp,
// gochannel, redisstream, sql) are described by topology itself.
type KindSpec struct {
	// Keys are the settings the kind accepts besides kind; any other key is an error.
	Keys []string
	// Decode reads the settings of one transport. Problems are reported with
	// Settings.Errorf and keep their file:line:col positions; the value returned
	// becomes Transport.Settings.
	Decode func(s *Settings) any
}

var (
	kindsMu    sync.RWMutex
	registered = map[Kind]KindSpec{}
)

// RegisterKind makes kind loadable from topology files. It panics for a built-in kind,
// a kind registered twice or a spec without Decode: registration happens once, at
// start-up.
func RegisterKind(kind Kind, spec KindSpec) {
	if kind == "" || spec.Decode == nil {
		panic("topology: RegisterKind needs a kind name and a Decode function")
	}
	if _, builtin := kindSection[kind]; builtin {
		panic(fmt.Sprintf("topology: kind %q is built in", kind))
	}
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if _, dup := registered[kind]; dup {
		panic(fmt.Sprintf("topology: kind %q registered twice", kind))
	}
	spec.Keys = append([]string{"kind"}, spec.Keys...)
	registered[kind] = spec
}

// registeredKind returns the spec of a kind registered with RegisterKind.
func registeredKind(kind Kind) (KindSpec, bool) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	s, ok := registered[kind]
	return s, ok
}

// allKinds lists the built-in kinds, then the registered ones sorted, in the order error
// messages name them.
func allKinds() []Kind {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	extra := make([]Kind, 0, len(registered))
	for k := range registered {
		extra = append(extra, k)
	}
	slices.Sort(extra)
	return append(slices.Clone(kinds), extra...)
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
