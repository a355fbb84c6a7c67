package deliverylog_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/internal/deliverylog/logtest"
)

// TestHandler serves the tree of the router flow as JSON, mounted on a mux the way a
// service mounts it.
func TestHandler(t *testing.T) {
	t.Parallel()
	topo, _ := logtest.Topology(t, t.TempDir())
	id := logtest.Flow(t, topo)
	dl, err := deliverylog.Open(context.Background(), deliverylog.Config{Topology: topo})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dl.Close() })
	mux := http.NewServeMux()
	mux.Handle("/trace/", deliverylog.Handler(dl, nil))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	res, err := http.Get(srv.URL + "/trace/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var tree struct {
		CorrelationID string `json:"correlation_id"`
		Messages      []struct {
			ID        string `json:"id"`
			Type      string `json:"type"`
			Topic     string `json:"topic"`
			Transport string `json:"transport"`
			Outcomes  []struct {
				Handler  string `json:"handler"`
				Result   string `json:"result"`
				Attempts int    `json:"attempts"`
			} `json:"outcomes"`
			Children []struct {
				Type        string `json:"type"`
				CausationID string `json:"causation_id"`
				PublishedBy string `json:"published_by"`
				Children    []struct {
					Type string `json:"type"`
				} `json:"children"`
			} `json:"children"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tree); err != nil {
		t.Fatal(err)
	}
	if tree.CorrelationID != id || len(tree.Messages) != 1 {
		t.Fatalf("correlation %q with %d roots, want %q with 1", tree.CorrelationID, len(tree.Messages), id)
	}
	a := tree.Messages[0]
	if a.Type != "flow.a.v1" || a.Topic != "flow.a" || a.Transport != "mem" {
		t.Errorf("root: type %q topic %q transport %q", a.Type, a.Topic, a.Transport)
	}
	if len(a.Outcomes) != 1 || a.Outcomes[0].Handler != "handle-a" || a.Outcomes[0].Result != "ok" || a.Outcomes[0].Attempts != 2 {
		t.Errorf("root outcomes: %+v", a.Outcomes)
	}
	if len(a.Children) != 1 || a.Children[0].Type != "flow.b.v1" || a.Children[0].CausationID != a.ID || a.Children[0].PublishedBy != "handle-a" {
		t.Fatalf("root children: %+v", a.Children)
	}
	if c := a.Children[0].Children; len(c) != 1 || c[0].Type != "flow.c.v2" {
		t.Errorf("grandchildren: %+v", c)
	}

	res404, err := http.Get(srv.URL + "/trace/no-such-id")
	if err != nil {
		t.Fatal(err)
	}
	res404.Body.Close()
	if res404.StatusCode != http.StatusNotFound {
		t.Errorf("unknown id: status %d, want 404", res404.StatusCode)
	}
}

// failingReader fails every read.
type failingReader struct{}

func (failingReader) Tree(context.Context, string) (*deliverylog.Tree, error) {
	return nil, errors.New("database down")
}

// TestHandlerError answers 500 without the error text when the log cannot be read.
func TestHandlerError(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	deliverylog.Handler(failingReader{}, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/trace/x", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	if body := rec.Body.String(); body == "" || strings.Contains(body, "database down") {
		t.Errorf("body %q: want a JSON error without the cause", body)
	}
}
