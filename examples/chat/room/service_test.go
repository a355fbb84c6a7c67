package room

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/millrace/millrace/internal/event"
)

// recorder is a Publisher that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
	added  chan struct{}
}

func newRecorder() *recorder { return &recorder{added: make(chan struct{}, 100)} }

func (r *recorder) Publish(_ context.Context, ev event.Event) error {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	r.added <- struct{}{}
	return nil
}

// wait returns the first recorded event of type T, waiting until one is published.
func waitFor[T event.Event](t *testing.T, r *recorder) T {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		for _, ev := range r.events {
			if v, ok := ev.(T); ok {
				r.mu.Unlock()
				return v
			}
		}
		r.mu.Unlock()
		select {
		case <-r.added:
		case <-deadline:
			var zero T
			t.Fatalf("no %T published", zero)
			return zero
		}
	}
}

func newTestService(t *testing.T) (*Service, *recorder, string) {
	t.Helper()
	rec := newRecorder()
	s, err := NewService(Config{Events: rec, History: NewMemoryHistory(0)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})
	return s, rec, "ws" + strings.TrimPrefix(srv.URL, "http")
}

// readFrame reads one frame of conn into a map.
func readFrame(t *testing.T, conn *websocket.Conn) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("frame %s: %v", data, err)
	}
	return f
}

// TestJoinRefusedWithReason checks that an invalid room or name is refused with a close
// frame of status StatusRefused whose reason a browser can show.
func TestJoinRefusedWithReason(t *testing.T) {
	_, _, base := newTestService(t)
	cases := []struct{ query, reason string }{
		{"room=lobby&name=Alice%20Smith", "name may only contain letters, digits"},
		{"room=lobby&name=Zo%C3%AB", "name may only contain letters, digits"},
		{"room=my%20room&name=alice", "room may only contain letters, digits"},
		{"room=&name=", "room is empty; name is empty"},
		{"room=lobby&name=" + strings.Repeat("n", 65), "name is longer than 64 characters"},
	}
	for _, tc := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, _, err := websocket.Dial(ctx, base+"/ws?"+tc.query, nil)
		if err != nil {
			cancel()
			t.Fatalf("%s: dial: %v", tc.query, err)
		}
		_, _, err = conn.Read(ctx)
		cancel()
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != StatusRefused || !strings.Contains(ce.Reason, tc.reason) {
			t.Errorf("%s: read %v, want close %d with a reason containing %q", tc.query, err, StatusRefused, tc.reason)
		}
	}
	if got := closeReason(strings.Repeat("é", 100)); len(got) > maxCloseReasonBytes || !strings.HasPrefix(strings.Repeat("é", 100), got) {
		t.Errorf("closeReason cut %d bytes mid-character or too long", len(got))
	}
}

// TestJoinerLearnsMembers checks both ways a joining connection learns who was in its
// room: a joiner connected to this instance gets a members frame of the other local
// members; for a joiner connected elsewhere, whose UserJoined arrives from the broker,
// this instance publishes a MembersPresent event listing its members, and a
// MembersPresent from elsewhere reaches its joiner as a members frame.
func TestJoinerLearnsMembers(t *testing.T) {
	s, rec, base := newTestService(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := func(name string) (*websocket.Conn, string) {
		t.Helper()
		conn, _, err := websocket.Dial(ctx, base+"/ws?room=r&name="+name, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.CloseNow() })
		h := readFrame(t, conn)
		id, _ := h["connection_id"].(string)
		if h["type"] != TypeHistory || id == "" {
			t.Fatalf("first frame %v, want a history frame with the connection id", h)
		}
		return conn, id
	}
	members := func(f map[string]any) string {
		t.Helper()
		if f["type"] != TypeMembers {
			t.Fatalf("frame %v, want a members frame", f)
		}
		var out []string
		for _, m := range f["members"].([]any) {
			m := m.(map[string]any)
			out = append(out, m["name"].(string)+"="+m["connection_id"].(string))
		}
		return strings.Join(out, ",")
	}
	alice, aliceID := dial("alice")
	bob, bobID := dial("bob")

	// The broker brings bob's UserJoined back: bob, connected here, gets alice.
	if err := s.DeliverJoined(&UserJoined{Room: "r", Name: "bob", ConnectionID: bobID}); err != nil {
		t.Fatal(err)
	}
	if f := readFrame(t, bob); f["type"] != TypeUserJoined || f["name"] != "bob" {
		t.Fatalf("bob's frame %v, want his user_joined", f)
	}
	if got, want := members(readFrame(t, bob)), "alice="+aliceID; got != want {
		t.Fatalf("bob's members %s, want %s", got, want)
	}
	if f := readFrame(t, alice); f["type"] != TypeUserJoined || f["name"] != "bob" {
		t.Fatalf("alice's frame %v, want bob's user_joined", f)
	}

	// Zed joins on another instance: this one tells zed who is here.
	if err := s.DeliverJoined(&UserJoined{Room: "r", Name: "zed", ConnectionID: "zed-1"}); err != nil {
		t.Fatal(err)
	}
	present := waitFor[*MembersPresent](t, rec)
	got := present.Room + " " + present.To + " " + members(map[string]any{"type": TypeMembers, "members": toAny(t, present.Members)})
	if want := "r zed-1 alice=" + aliceID + ",bob=" + bobID; got != want {
		t.Fatalf("published %s, want %s", got, want)
	}

	// A list from another instance for bob reaches bob only.
	if err := s.DeliverPresent(&MembersPresent{Room: "r", To: bobID, Members: []Member{{Name: "yan", ConnectionID: "yan-1"}}}); err != nil {
		t.Fatal(err)
	}
	if f := readFrame(t, bob); f["type"] != TypeUserJoined || f["name"] != "zed" {
		t.Fatalf("bob's frame %v, want zed's user_joined", f)
	}
	if got, want := members(readFrame(t, bob)), "yan=yan-1"; got != want {
		t.Fatalf("bob's members %s, want %s", got, want)
	}
	if f := readFrame(t, alice); f["type"] != TypeUserJoined || f["name"] != "zed" {
		t.Fatalf("alice's frame %v, want zed's user_joined", f)
	}
}

// toAny turns v into what json.Unmarshal makes of it.
func toAny(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
