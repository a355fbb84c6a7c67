// Package logging builds the service's *slog.Logger and adapts it for Watermill.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/millrace/millrace/internal/correlation"
)

// Watermill returns a Watermill logger writing to logger. Unlike
// watermill.NewSlogLogger it checks the level before converting fields, so the trace and
// debug lines Watermill writes for every message cost nothing when they are off.
func Watermill(logger *slog.Logger) watermill.LoggerAdapter {
	if logger == nil {
		return watermill.NopLogger{}
	}
	return adapter{logger: logger, next: watermill.NewSlogLogger(logger)}
}

type adapter struct {
	logger *slog.Logger
	next   watermill.LoggerAdapter
}

func (a adapter) enabled(level slog.Level) bool {
	return a.logger.Enabled(context.Background(), level)
}

func (a adapter) Error(msg string, err error, fields watermill.LogFields) {
	if a.enabled(slog.LevelError) {
		a.next.Error(msg, err, fields)
	}
}

func (a adapter) Info(msg string, fields watermill.LogFields) {
	if a.enabled(slog.LevelInfo) {
		a.next.Info(msg, fields)
	}
}

func (a adapter) Debug(msg string, fields watermill.LogFields) {
	if a.enabled(slog.LevelDebug) {
		a.next.Debug(msg, fields)
	}
}

func (a adapter) Trace(msg string, fields watermill.LogFields) {
	if a.enabled(watermill.LevelTrace) {
		a.next.Trace(msg, fields)
	}
}

func (a adapter) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return adapter{logger: a.logger, next: a.next.With(fields)}
}

// Format is how log records are written.
type Format string

// The log formats.
const (
	FormatText Format = "text"
	FormatJSON Format = "json"
)

// Options configure New.
type Options struct {
	// Level is the lowest level written (default info).
	Level slog.Level
	// Format is text (default) or json.
	Format Format
}

// New returns the service logger: records go to w in the chosen format, and every record
// logged with a context carries that context's correlation_id and causation_id.
func New(w io.Writer, opts Options) (*slog.Logger, error) {
	ho := &slog.HandlerOptions{Level: opts.Level}
	var h slog.Handler
	switch opts.Format {
	case "", FormatText:
		h = slog.NewTextHandler(w, ho)
	case FormatJSON:
		h = slog.NewJSONHandler(w, ho)
	default:
		return nil, fmt.Errorf("log format %q: want text or json", opts.Format)
	}
	return slog.New(correlation.NewLogHandler(h)), nil
}
