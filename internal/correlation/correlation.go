package correlation

import (
	"context"
	"unicode"

	"github.com/ThreeDotsLabs/watermill"
)

// MaxIDLength is the longest correlation id accepted from outside.
const MaxIDLength = 128

// flowKey is the context key of the flow ids of a context.
type flowKey struct{}

// flow is the ids a context carries: both live in one context value, since the router
// sets them together for every message it handles.
type flow struct {
	id        string
	causation string
}

// flowOf returns the flow ids ctx carries.
func flowOf(ctx context.Context) flow {
	if f, ok := ctx.Value(flowKey{}).(*flow); ok {
		return *f
	}
	return flow{}
}

// WithID returns a copy of ctx carrying the correlation id. An empty id removes it.
func WithID(ctx context.Context, id string) context.Context {
	f := flowOf(ctx)
	f.id = id
	return context.WithValue(ctx, flowKey{}, &f)
}

// ID returns the correlation id ctx carries, or "".
func ID(ctx context.Context) string { return flowOf(ctx).id }

// WithCausation returns a copy of ctx carrying the causation id: the id of the message
// being handled. An empty id removes it.
func WithCausation(ctx context.Context, id string) context.Context {
	f := flowOf(ctx)
	f.causation = id
	return context.WithValue(ctx, flowKey{}, &f)
}

// WithFlow returns a copy of ctx carrying both the correlation id and the causation id,
// as WithCausation(WithID(ctx, id), causation) does.
func WithFlow(ctx context.Context, id, causation string) context.Context {
	return context.WithValue(ctx, flowKey{}, &flow{id: id, causation: causation})
}

// Causation returns the causation id ctx carries, or "".
func Causation(ctx context.Context) string { return flowOf(ctx).causation }

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
