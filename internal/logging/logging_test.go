package logging

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/millrace/millrace/internal/correlation"
)

func TestWatermillHonoursLevel(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	wl := Watermill(logger).With(watermill.LogFields{"handler": "h1"})

	wl.Trace("trace line", watermill.LogFields{"n": 1})
	wl.Debug("debug line", nil)
	wl.Info("info line", watermill.LogFields{"topic": "users.registered"})
	wl.Error("error line", errors.New("boom"), nil)

	out := buf.String()
	for _, absent := range []string{"trace line", "debug line"} {
		if strings.Contains(out, absent) {
			t.Errorf("%q written below the logger's level:\n%s", absent, out)
		}
	}
	for _, want := range []string{"info line", "topic=users.registered", "handler=h1", "error line", "boom"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestWatermillTraceWhenEnabled(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: watermill.LevelTrace}))
	Watermill(logger).Trace("trace line", watermill.LogFields{"n": 1})
	if !strings.Contains(buf.String(), "trace line") || !strings.Contains(buf.String(), "n=1") {
		t.Errorf("trace line missing at trace level:\n%s", buf.String())
	}
}

func TestNewCarriesCorrelation(t *testing.T) {
	var buf bytes.Buffer
	logger, err := New(&buf, Options{Format: FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	ctx := correlation.WithID(context.Background(), "corr-123")
	logger.InfoContext(ctx, "handled")
	if !strings.Contains(buf.String(), `"correlation_id":"corr-123"`) {
		t.Errorf("record lacks the correlation id:\n%s", buf.String())
	}
	if _, err := New(&buf, Options{Format: "xml"}); err == nil {
		t.Error("unknown format accepted")
	}
}
