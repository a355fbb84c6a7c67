package room

import (
	"testing"

	"github.com/coder/websocket"
)

func readyClient(h *hub, id string, queue int) *client {
	c := newClient(id, "r", id, queue)
	h.join(c)
	h.ready(c, []byte("history"), nil)
	<-c.send // the history frame
	return c
}

// TestSlowClientIsDropped checks that a member whose queue is full is closed with 1008
// and the others still receive every frame: delivery never waits for a member.
func TestSlowClientIsDropped(t *testing.T) {
	h := newHub()
	slow := readyClient(h, "slow", 2)
	fast := readyClient(h, "fast", 16)
	for i := range 3 {
		h.deliver("r", string(rune('a'+i)), []byte{byte('a' + i)})
		<-fast.send
	}
	select {
	case <-slow.done:
	default:
		t.Fatal("slow member not dropped after its queue filled")
	}
	if slow.code != websocket.StatusPolicyViolation {
		t.Fatalf("slow member closed with %v, want %v", slow.code, websocket.StatusPolicyViolation)
	}
	select {
	case <-fast.done:
		t.Fatal("fast member dropped")
	default:
	}
}

// TestJoinHoldsBackUntilHistory checks that frames delivered while a member's history is
// read come after the history, without the messages the history holds, and that a
// redelivered message id is dropped.
func TestJoinHoldsBackUntilHistory(t *testing.T) {
	h := newHub()
	c := newClient("c", "r", "c", 16)
	h.join(c)
	h.deliver("r", "m1", []byte("m1"))
	h.deliver("r", "m2", []byte("m2"))
	h.deliver("r", "", []byte("presence"))
	h.ready(c, []byte("history"), map[string]bool{"m1": true})
	h.deliver("r", "m2", []byte("m2 again"))
	h.deliver("r", "m3", []byte("m3"))
	var got []string
	for len(c.send) > 0 {
		got = append(got, string(<-c.send))
	}
	want := "history,m2,presence,m3"
	if s := join(got); s != want {
		t.Fatalf("frames %s, want %s", s, want)
	}
}

func join(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"a", "Room-1_x.y", string(make([]byte, 0)) + "0123456789012345678901234567890123456789012345678901234567890123"} {
		if err := ValidName(ok); err != nil {
			t.Errorf("ValidName(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "<script>", "é", "a/b", "0123456789012345678901234567890123456789012345678901234567890123x"} {
		if err := ValidName(bad); err == nil {
			t.Errorf("ValidName(%q) = nil, want an error", bad)
		}
	}
}

// TestPresentLeavesOutLeftMembers checks that a member list reaches only its joining
// connection and leaves out the members the room has seen leave: a list taken before a
// member left may arrive after its user_left.
func TestPresentLeavesOutLeftMembers(t *testing.T) {
	h := newHub()
	joiner := readyClient(h, "joiner", 16)
	other := readyClient(h, "other", 16)
	h.deliver("r", leftKey("gone"), []byte("gone left"))
	<-joiner.send
	<-other.send
	members := []Member{{Name: "gone", ConnectionID: "gone"}, {Name: "stays", ConnectionID: "stays"}}
	if err := h.present("r", "joiner", members); err != nil {
		t.Fatal(err)
	}
	if err := h.present("r", "nobody", members); err != nil {
		t.Fatal(err)
	}
	if err := h.present("other-room", "joiner", members); err != nil {
		t.Fatal(err)
	}
	want := `{"type":"members","room":"r","members":[{"name":"stays","connection_id":"stays"}]}`
	if len(joiner.send) != 1 {
		t.Fatalf("joiner has %d frames, want 1", len(joiner.send))
	}
	if got := string(<-joiner.send); got != want {
		t.Fatalf("members frame %s, want %s", got, want)
	}
	if len(other.send) != 0 {
		t.Fatalf("a member list reached another member: %s", <-other.send)
	}
}

// TestOthers checks the local member list a joiner is answered with: every other local
// member, ordered by name then connection id, and whether the joiner is local.
func TestOthers(t *testing.T) {
	h := newHub()
	for _, c := range []*client{newClient("c3", "r", "bob", 4), newClient("c2", "r", "alice", 4), newClient("c1", "r", "alice", 4), newClient("c0", "other", "zed", 4)} {
		h.join(c)
	}
	got, local := h.others("r", "c3")
	want := []Member{{"alice", "c1"}, {"alice", "c2"}}
	if !local || len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("others = %v, %v; want %v, true", got, local, want)
	}
	if got, local := h.others("r", "elsewhere"); local || len(got) != 3 {
		t.Fatalf("others for a remote joiner = %v, %v; want the 3 local members, false", got, local)
	}
}
