// Package logging adapts the service's *slog.Logger for Watermill.
package logging

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
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
