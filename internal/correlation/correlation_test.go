package correlation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/millrace/millrace/internal/correlation"
)

func TestContextRoundTrip(t *testing.T) {
	ctx := context.Background()
	if got := correlation.ID(ctx); got != "" {
		t.Fatalf("ID(empty ctx) = %q, want empty", got)
	}
	if got := correlation.Causation(ctx); got != "" {
		t.Fatalf("Causation(empty ctx) = %q, want empty", got)
	}
	ctx = correlation.WithCausation(correlation.WithID(ctx, "corr-1"), "msg-7")
	if got := correlation.ID(ctx); got != "corr-1" {
		t.Errorf("ID = %q, want corr-1", got)
	}
	if got := correlation.Causation(ctx); got != "msg-7" {
		t.Errorf("Causation = %q, want msg-7", got)
	}
}

// Setting one id keeps the other; WithFlow sets both; an empty id removes one; a derived
// context does not change its parent.
func TestFlowLayers(t *testing.T) {
	parent := correlation.WithFlow(context.Background(), "corr-1", "msg-1")
	child := correlation.WithCausation(parent, "msg-2")
	other := correlation.WithID(parent, "corr-2")
	cleared := correlation.WithID(parent, "")
	for _, c := range []struct {
		name                  string
		ctx                   context.Context
		wantID, wantCausation string
	}{
		{"parent", parent, "corr-1", "msg-1"},
		{"new causation", child, "corr-1", "msg-2"},
		{"new id", other, "corr-2", "msg-1"},
		{"id removed", cleared, "", "msg-1"},
	} {
		if got := correlation.ID(c.ctx); got != c.wantID {
			t.Errorf("%s: ID = %q, want %q", c.name, got, c.wantID)
		}
		if got := correlation.Causation(c.ctx); got != c.wantCausation {
			t.Errorf("%s: Causation = %q, want %q", c.name, got, c.wantCausation)
		}
	}
}

func TestNewIsUniqueAndValid(t *testing.T) {
	a, b := correlation.New(), correlation.New()
	if a == b {
		t.Fatalf("New returned %q twice", a)
	}
	if !correlation.Valid(a) {
		t.Fatalf("New returned an invalid id %q", a)
	}
}

func TestValid(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"abc-123", true},
		{"req_ÄÖ.42", true},
		{strings.Repeat("a", correlation.MaxIDLength), true},
		{strings.Repeat("a", correlation.MaxIDLength+1), false},
		{"", false},
		{"has space", false},
		{"new\nline", false},
		{"tab\t", false},
		{"nul\x00", false},
		{"bad\xffutf8", false},
	}
	for _, c := range cases {
		if got := correlation.Valid(c.id); got != c.want {
			t.Errorf("Valid(%q) = %v, want %v", c.id, got, c.want)
		}
	}
}

func TestMiddleware(t *testing.T) {
	var seen string
	h := correlation.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = correlation.ID(r.Context())
	}))

	cases := []struct {
		name, header string
		keep         bool
	}{
		{"valid header is kept", "edge-42", true},
		{"missing header gets a new id", "", false},
		{"too long header is replaced", strings.Repeat("x", 129), false},
		{"unprintable header is replaced", "a\x01b", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seen = ""
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if c.header != "" {
				req.Header.Set(correlation.Header, c.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			echoed := rec.Header().Get(correlation.Header)
			if echoed != seen {
				t.Fatalf("response header %q differs from context id %q", echoed, seen)
			}
			if c.keep && seen != c.header {
				t.Fatalf("context id = %q, want the header %q", seen, c.header)
			}
			if !c.keep && (seen == c.header || !correlation.Valid(seen)) {
				t.Fatalf("context id = %q, want a new valid id", seen)
			}
		})
	}
}

func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(correlation.NewLogHandler(slog.NewJSONHandler(&buf, nil))).With("svc", "test")

	ctx := correlation.WithCausation(correlation.WithID(context.Background(), "corr-1"), "msg-1")
	logger.InfoContext(ctx, "with ids")
	logger.InfoContext(context.Background(), "without ids")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d log lines, want 2: %s", len(lines), buf.String())
	}
	var with, without map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &with); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &without); err != nil {
		t.Fatal(err)
	}
	if with["correlation_id"] != "corr-1" || with["causation_id"] != "msg-1" || with["svc"] != "test" {
		t.Errorf("record with ids = %v", with)
	}
	if _, ok := without["correlation_id"]; ok {
		t.Errorf("record without ids has correlation_id: %v", without)
	}
	if _, ok := without["causation_id"]; ok {
		t.Errorf("record without ids has causation_id: %v", without)
	}
}

func TestLogHandlerKeepsEnabled(t *testing.T) {
	h := correlation.NewLogHandler(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("info enabled on a warn handler")
	}
	if !h.Enabled(context.Background(), slog.LevelError) {
		t.Error("error disabled on a warn handler")
	}
}
