package chat_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/millrace/millrace/examples/chat/room"
)

// TestTwoInstances runs two chat instances on each transport profile: members on both
// see every message once and in one order, presence, the members already in the room
// when they join (on either instance), and the history on join; the history survives
// a restart of both instances.
func TestTwoInstances(t *testing.T) {
	for _, kind := range []string{"redis", "rabbitmq", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p := newProfile(t, kind)
			a := startInstance(t, p, nil)
			b := startInstance(t, p, nil)
			room := "room-" + suffix(t)

			alice := dial(t, a.Addr(), room, "alice")
			if h := alice.next(ofType("history")); len(h.Messages) != 0 {
				t.Fatalf("history of a new room = %v, want empty", h.Messages)
			}
			alice.waitOnline("alice")
			bob := dial(t, b.Addr(), room, "bob")
			bob.next(ofType("history"))
			// Alice sees her join and bob's; bob sees his own, and learns of alice from
			// her instance.
			alice.next(presence("user_joined", "alice"))
			alice.next(presence("user_joined", "bob"))
			bob.next(presence("user_joined", "bob"))
			alice.waitOnline("alice", "bob")
			bob.waitOnline("alice", "bob")

			var sent []string
			for i := range 5 {
				text := fmt.Sprintf("a%d", i)
				if r := alice.say(text); !r.OK || r.MessageID == "" {
					t.Fatalf("send %s: %+v", text, r)
				}
				sent = append(sent, text)
			}
			if r := bob.say("b0"); !r.OK {
				t.Fatalf("send b0: %+v", r)
			}
			sent = append(sent, "b0")
			// Alice's messages were published before bob's, so both see them first.
			framesA, framesB := alice.collectFrames("b0"), bob.collectFrames("b0")
			if gotA, gotB := texts(framesA...), texts(framesB...); join(gotA) != join(sent) || join(gotB) != join(sent) {
				t.Fatalf("received alice=%v bob=%v, want each %v once in order", gotA, gotB, sent)
			}
			// Each message names its sender's connection, so a page marks its own.
			aliceID, bobID := alice.ownID(), bob.ownID()
			for _, m := range append(framesA, framesB...) {
				if want := map[string]string{"alice": aliceID, "bob": bobID}[m.Name]; m.ConnectionID != want {
					t.Fatalf("message %q has connection %q, want its sender's %q", m.Text, m.ConnectionID, want)
				}
			}

			// A member joining on either instance gets the history, and the members online
			// on both instances.
			carol := dial(t, b.Addr(), room, "carol")
			if h := carol.next(ofType("history")); join(historyTexts(h)) != join(sent) {
				t.Fatalf("carol's history = %v, want %v", historyTexts(h), sent)
			}
			carol.waitOnline("alice", "bob", "carol")
			alice.next(presence("user_joined", "carol"))
			// Exactly once: a sentinel sent after everything shows nothing was repeated.
			if r := carol.say("end"); !r.OK {
				t.Fatalf("send end: %+v", r)
			}
			for name, c := range map[string]*client{"alice": alice, "bob": bob} {
				if got := c.collect("end"); join(got) != "end" {
					t.Fatalf("%s received %v before the sentinel, want nothing repeated", name, got)
				}
			}

			_ = bob.conn.Close(websocket.StatusNormalClosure, "")
			alice.next(presence("user_left", "bob"))
			carol.waitOnline("alice", "carol")
			// Two connections of one name are two members, told apart by connection id.
			alice2 := dial(t, b.Addr(), room, "alice")
			online := alice2.waitOnline("alice", "alice", "carol")
			if online[aliceID] != "alice" || online[alice2.ownID()] != "alice" {
				t.Fatalf("second alice sees %v, want both alices by connection id", online)
			}

			// Restart both instances: the history is still there.
			a.Stop()
			b.Stop()
			a2 := startInstance(t, p, nil)
			dave := dial(t, a2.Addr(), room, "dave")
			want := append(sent, "end")
			if h := dave.next(ofType("history")); join(historyTexts(h)) != join(want) {
				t.Fatalf("history after restart = %v, want %v", historyTexts(h), want)
			}
		})
	}
}

func historyTexts(f frame) []string {
	out := make([]string, 0, len(f.Messages))
	for _, m := range f.Messages {
		out = append(out, m.Text)
	}
	return out
}

func texts(fs ...frame) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Text)
	}
	return out
}

// TestLocalInstance runs one instance on the in-memory profile.
func TestLocalInstance(t *testing.T) {
	t.Parallel()
	p := newProfile(t, "local")
	a := startInstance(t, p, nil)
	room := "lobby"
	alice := dial(t, a.Addr(), room, "alice")
	alice.next(ofType("history"))
	bob := dial(t, a.Addr(), room, "bob")
	bob.next(ofType("history"))
	if r := alice.say("<script>alert(1)</script>"); !r.OK {
		t.Fatalf("send: %+v", r)
	}
	for name, c := range map[string]*client{"alice": alice, "bob": bob} {
		if got := c.collect("<script>alert(1)</script>"); len(got) != 1 {
			t.Fatalf("%s received %v, want the message once", name, got)
		}
	}
	carol := dial(t, a.Addr(), room, "carol")
	if h := carol.next(ofType("history")); len(h.Messages) != 1 || h.Messages[0].Name != "alice" {
		t.Fatalf("history = %+v, want alice's message", h.Messages)
	}
}

// TestBadFrames checks that every bad frame is answered with ok:false and a reason, and
// the socket stays open for a good message afterwards.
func TestBadFrames(t *testing.T) {
	t.Parallel()
	p := newProfile(t, "local")
	a := startInstance(t, p, nil)
	c := dial(t, a.Addr(), "bad-frames", "mallory")
	c.next(ofType("history"))
	cases := []struct {
		name, frame, requestID, reason string
	}{
		{"invalid JSON", `{"type":"message",`, "", "invalid JSON"},
		{"not an object", `[1,2]`, "", "invalid JSON"},
		{"unknown type", `{"type":"shout","request_id":"u1","text":"hi"}`, "u1", "unknown type"},
		{"missing type", `{"request_id":"m1","text":"hi"}`, "m1", "missing type"},
		{"empty text", `{"type":"message","request_id":"e1","text":""}`, "e1", "text is empty"},
		{"blank text", `{"type":"message","request_id":"e2","text":" \n\t "}`, "e2", "text is empty"},
		{"text over 4 KiB", `{"type":"message","request_id":"l1","text":"` + strings.Repeat("x", 4097) + `"}`, "l1", "longer than 4096"},
		{"request id too long", `{"type":"message","request_id":"` + strings.Repeat("r", 129) + `","text":"hi"}`, "", "request_id is longer"},
	}
	for _, tc := range cases {
		c.sendRaw(tc.frame)
		r := c.next(ofType("result"))
		if r.OK || r.RequestID != tc.requestID || !strings.Contains(r.Reason, tc.reason) {
			t.Errorf("%s: result %+v, want ok:false request_id %q reason containing %q", tc.name, r, tc.requestID, tc.reason)
		}
	}
	// A binary frame is a bad frame too.
	if err := c.conn.Write(t.Context(), websocket.MessageBinary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if r := c.next(ofType("result")); r.OK || !strings.Contains(r.Reason, "binary") {
		t.Errorf("binary frame: result %+v, want ok:false", r)
	}
	// Exactly 4 KiB is accepted, and the socket is still open.
	if r := c.say(strings.Repeat("y", 4096)); !r.OK {
		t.Fatalf("message after bad frames: %+v, want ok:true", r)
	}
}

// TestAbuseCloses checks the close codes of abuse: 1009 for a frame over 64 KiB, 1008
// for more than 20 frames per second sustained.
func TestAbuseCloses(t *testing.T) {
	t.Parallel()
	p := newProfile(t, "local")
	a := startInstance(t, p, nil)

	t.Run("frame over 64 KiB", func(t *testing.T) {
		c := dial(t, a.Addr(), "abuse", "big")
		c.next(ofType("history"))
		c.sendRaw(`{"type":"message","text":"` + strings.Repeat("x", 64<<10) + `"}`)
		if got := c.closeStatus(); got != websocket.StatusMessageTooBig {
			t.Fatalf("close status %v, want %v", got, websocket.StatusMessageTooBig)
		}
	})
	t.Run("flood", func(t *testing.T) {
		c := dial(t, a.Addr(), "abuse", "flood")
		c.next(ofType("history"))
		// 200 frames at once: far over the burst of 40 and the 20/s rate. Writes may fail
		// once the server has closed.
		for i := range 200 {
			if err := c.conn.Write(t.Context(), websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
				t.Logf("write %d: %v", i, err)
				break
			}
		}
		if got := c.closeStatus(); got != websocket.StatusPolicyViolation {
			t.Fatalf("close status %v, want %v", got, websocket.StatusPolicyViolation)
		}
	})
	t.Run("15 per second stay open", func(t *testing.T) {
		c := dial(t, a.Addr(), "abuse", "steady")
		c.next(ofType("history"))
		tick := time.NewTicker(time.Second / 15)
		defer tick.Stop()
		for i := range 60 {
			<-tick.C
			if r := c.say(fmt.Sprintf("m%d", i)); !r.OK {
				t.Fatalf("message %d: %+v", i, r)
			}
		}
	})
}

// TestRefusals checks the refusals: an invalid room or name is closed right after the
// upgrade with status 4400 and the reason (which a browser can read, unlike the body of
// an HTTP error), a foreign origin gets 403 before it.
func TestRefusals(t *testing.T) {
	t.Parallel()
	p := newProfile(t, "local")
	a := startInstance(t, p, nil)
	base := "http://" + a.Addr()
	upgrade := http.Header{
		"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="},
	}
	for _, tc := range []struct{ room, name, reason string }{
		{"", "a", "room is empty"},
		{"a", "", "name is empty"},
		{"my%20room", "x", "room may only contain"},
		{"lobby", "Alice%20Smith", "name may only contain"},
		{"lobby", "Zo%C3%AB", "name may only contain"},
		{"a", strings.Repeat("n", 65), "name is longer than 64"},
		{"%3Cscript%3E", "x", "room may only contain"},
	} {
		c := dial(t, a.Addr(), tc.room, tc.name)
		err := <-c.closed
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != room.StatusRefused || !strings.Contains(ce.Reason, tc.reason) {
			t.Errorf("room %q name %q: %v, want close %d with a reason containing %q", tc.room, tc.name, err, room.StatusRefused, tc.reason)
		}
	}
	foreign := http.Header{"Origin": {"http://evil.example"}}
	for k, v := range upgrade {
		foreign[k] = v
	}
	if got := httpStatus(t, base+"/ws?room=a&name=b", foreign); got != http.StatusForbidden {
		t.Errorf("foreign origin: status %d, want 403", got)
	}
	own := http.Header{"Origin": {base}}
	for k, v := range upgrade {
		own[k] = v
	}
	if got := httpStatus(t, base+"/ws?room=a&name=b", own); got != http.StatusSwitchingProtocols {
		t.Errorf("own origin: status %d, want 101", got)
	}
	if got := httpStatus(t, base+"/", nil); got != http.StatusOK {
		t.Errorf("page: status %d, want 200", got)
	}
}
