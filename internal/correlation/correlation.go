package correlation

import (
	"context"
	"unicode"

	"github.com/ThreeDotsLabs/watermill"
)

// MaxIDLength is the longest correlation id accepted from outside.
const MaxIDLength = 128

type ctxKey int

const (
	idKey ctxKey = iota
	causationKey
)

// WithID returns a copy of ctx carrying the correlation id. An empty id removes it.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, idKey, id)
}

// ID returns the correlation id ctx carries, or "".
func ID(ctx context.Context) string {
	id, _ := ctx.Value(idKey).(string)
	return id
}

// WithCausation returns a copy of ctx carrying the causation id: the id of the message
// being handled. An empty id removes it.
func WithCausation(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, causationKey, id)
}

// Causation returns the causation id ctx carries, or "".
func Causation(ctx context.Context) string {
	id, _ := ctx.Value(causationKey).(string)
	return id
}

// New returns a new random correlation id (a UUID v4 string).
func New() string { return watermill.NewUUID() }

// Valid reports whether id is acceptable as a correlation id received from outside: not
// empty, at most MaxIDLength bytes, and made of printable non-space characters, so it
// is safe in headers, metadata and log lines.
func Valid(id string) bool {
	if id == "" || len(id) > MaxIDLength {
		return false
	}
	for _, r := range id {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
