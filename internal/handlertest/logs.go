package handlertest

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/correlation"
)

// Record is one log record a handler wrote.
type Record struct {
	Level   slog.Level
	Message string
	// CorrelationID is the correlation id of the context the record was logged with.
	CorrelationID string
	// Attrs are the record's attributes (and the logger's), formatted with fmt.
	Attrs map[string]string
}

// Logs records what handlers log, for tests to wait on. It is safe for concurrent use.
type Logs struct {
	mu      sync.Mutex
	records []Record
	changed chan struct{}
}

// NewLogs returns an empty Logs.
func NewLogs() *Logs { return &Logs{changed: make(chan struct{})} }

// Logger returns a logger that records into l at every level.
func (l *Logs) Logger() *slog.Logger { return slog.New(&logHandler{logs: l}) }

// Records returns a copy of what was logged so far.
func (l *Logs) Records() []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Record(nil), l.records...)
}

// Wait returns the first record match accepts, waiting up to timeout for it; the test
// fails with every record seen when none comes.
func (l *Logs) Wait(tb testing.TB, timeout time.Duration, match func(Record) bool) Record {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	seen := 0
	for {
		l.mu.Lock()
		records, changed := l.records[seen:], l.changed
		l.mu.Unlock()
		for _, r := range records {
			if match(r) {
				return r
			}
		}
		seen += len(records)
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("no matching log record after %s; records:\n%v", timeout, l.Records())
			return Record{}
		}
	}
}

func (l *Logs) add(r Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r)
	close(l.changed)
	l.changed = make(chan struct{})
}

// logHandler is the slog.Handler behind Logs.Logger.
type logHandler struct {
	logs  *Logs
	attrs []slog.Attr
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	rec := Record{Level: r.Level, Message: r.Message, CorrelationID: correlation.ID(ctx), Attrs: map[string]string{}}
	for _, a := range h.attrs {
		rec.Attrs[a.Key] = fmt.Sprint(a.Value.Any())
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = fmt.Sprint(a.Value.Any())
		return true
	})
	h.logs.add(rec)
	return nil
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logHandler{logs: h.logs, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

// WithGroup keeps the attributes of groups unqualified: handler tests look them up by
// key.
func (h *logHandler) WithGroup(string) slog.Handler { return h }
