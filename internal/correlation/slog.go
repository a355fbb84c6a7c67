package correlation

import (
	"context"
	"log/slog"
)

// Log attribute keys added by the handler NewLogHandler returns.
const (
	LogKeyID        = "correlation_id"
	LogKeyCausation = "causation_id"
)

// LogHandler is a slog.Handler that adds correlation_id and causation_id to every record
// whose context carries them, then passes the record on.
type LogHandler struct {
	next slog.Handler
}

var _ slog.Handler = (*LogHandler)(nil)

// NewLogHandler wraps next so that any logger.InfoContext(ctx, ...) with a ctx from this
// package logs the ids. Inside a group (WithGroup) the ids are logged in that group.
func NewLogHandler(next slog.Handler) *LogHandler {
	return &LogHandler{next: next}
}

// Enabled reports whether the wrapped handler handles records of level.
func (h *LogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds the ids found in ctx to r and passes it to the wrapped handler.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	id, causation := ID(ctx), Causation(ctx)
	if id == "" && causation == "" {
		return h.next.Handle(ctx, r)
	}
	// The record may share its attribute storage with the caller's copy.
	r = r.Clone()
	if id != "" {
		r.AddAttrs(slog.String(LogKeyID, id))
	}
	if causation != "" {
		r.AddAttrs(slog.String(LogKeyCausation, causation))
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a LogHandler around the wrapped handler with attrs added.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &LogHandler{next: h.next.WithAttrs(attrs)}
}

// WithGroup returns a LogHandler around the wrapped handler with the group opened.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{next: h.next.WithGroup(name)}
}
