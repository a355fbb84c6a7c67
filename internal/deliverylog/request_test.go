package deliverylog_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/internal/testenv"
)

// TestRequestsAreRoots: a request served under a correlation id becomes the root of
// its tree with method, path and status; operators' endpoints are not recorded.
func TestRequestsAreRoots(t *testing.T) {
	topo := storeTopology(t, sqldb.SQLite, filepath.Join(t.TempDir(), "log.db"))
	clk := newTick()
	dl, err := deliverylog.Open(context.Background(), deliverylog.Config{Topology: topo, Now: clk.Now, FlushInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	pub, _ := dl.DecoratePublisher(nopPublisher{})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/users" {
			return
		}
		msg := message.NewMessage("m-1", []byte(`{}`))
		msg.Metadata.Set("correlation_id", correlation.ID(r.Context()))
		msg.Metadata.Set("causation_id", correlation.Causation(r.Context()))
		msg.Metadata.Set("ce_type", "users.registered.v1")
		if err := pub.Publish("users.registered", msg); err != nil {
			t.Error(err)
		}
		w.WriteHeader(http.StatusCreated)
	})
	srv := httptest.NewServer(dl.HTTPMiddleware("users", correlation.Middleware(app)))
	defer srv.Close()
	// The probe goes first: the log writes its rows in the order they were added, so
	// once the later /users request is in the log, a /healthz row would be too.
	for _, path := range []string{"/healthz", "/users"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(`{}`))
		req.Header.Set(correlation.Header, "corr-"+strings.Trim(path, "/"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var tree *deliverylog.Tree
	waited := false
	t.Cleanup(func() {
		if t.Failed() && !waited {
			t.Logf("tree of corr-users: %+v, %v", tree, err)
		}
	})
	testenv.Eventually(t, "the /users request with its event in the tree of corr-users", 10*time.Second, func() bool {
		tree, err = dl.Tree(context.Background(), "corr-users")
		return err == nil && len(tree.Requests) == 1 && len(tree.Requests[0].Messages) == 1
	})
	waited = true
	if r := tree.Requests[0]; r.Method != http.MethodPost || r.Path != "/users" || r.Status != http.StatusCreated || r.Service != "users" {
		t.Errorf("request = %+v", r)
	}
	if r := tree.Requests[0]; r.ID == "" || r.Messages[0].CausationID != r.ID || len(tree.Messages) != 0 {
		t.Errorf("the event does not hang under its request: request id %q, event's causation %q, other roots %d",
			r.ID, r.Messages[0].CausationID, len(tree.Messages))
	}
	var text strings.Builder
	if err := deliverylog.WriteText(&text, tree, time.UTC); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text.String(), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "POST /users -> 201 (users) 12:00:01.") ||
		!strings.HasPrefix(lines[1], "  └ users.registered v1 (topic users.registered via rabbit) ") {
		t.Errorf("text does not start with the request and, under it, its event:\n%s", text.String())
	}
	// The health probe published nothing and is not a flow: nothing recorded.
	if _, err := dl.Tree(context.Background(), "corr-healthz"); err == nil {
		t.Error("a /healthz request was recorded")
	}
}

// TestEachRequestHoldsItsEvents: two requests of one flow (a sign-up, then the
// verification that continues it) each print with the event it published under it,
// in time order, rather than both requests first.
func TestEachRequestHoldsItsEvents(t *testing.T) {
	topo := storeTopology(t, sqldb.SQLite, filepath.Join(t.TempDir(), "log.db"))
	clk := newTick()
	dl, err := deliverylog.Open(context.Background(), deliverylog.Config{Topology: topo, Now: clk.Now, FlushInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	pub, _ := dl.DecoratePublisher(nopPublisher{})
	events := map[string]string{"/users": "users.registered", "/users/verify": "users.verified"}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		topic := events[r.URL.Path]
		msg := message.NewMessage("m-"+topic, []byte(`{}`))
		msg.Metadata.Set("correlation_id", correlation.ID(r.Context()))
		if c := correlation.Causation(r.Context()); c != "" {
			msg.Metadata.Set("causation_id", c)
		}
		msg.Metadata.Set("ce_type", topic+".v1")
		if err := pub.Publish(topic, msg); err != nil {
			t.Error(err)
		}
	})
	srv := httptest.NewServer(dl.HTTPMiddleware("users", correlation.Middleware(app)))
	defer srv.Close()
	for _, c := range []struct{ method, path string }{{http.MethodPost, "/users"}, {http.MethodGet, "/users/verify"}} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		req.Header.Set(correlation.Header, "flow-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := strings.Join([]string{
		"POST /users -> 200 (users) T",
		"  └ users.registered v1 (topic users.registered via rabbit) T",
		"GET /users/verify -> 200 (users) T",
		"  └ users.verified v1 (topic users.verified) T",
	}, "\n")
	var got string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("tree of flow-1:\n%s\nwant:\n%s", got, want)
		}
	})
	testenv.Eventually(t, "the tree of flow-1", 10*time.Second, func() bool {
		tree, err := dl.Tree(context.Background(), "flow-1")
		if err != nil {
			return false
		}
		var text strings.Builder
		if err := deliverylog.WriteText(&text, tree, time.UTC); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
		for i, l := range lines {
			lines[i] = clock.ReplaceAllString(l, "T")
		}
		got = strings.Join(lines, "\n")
		return got == want
	})
}
