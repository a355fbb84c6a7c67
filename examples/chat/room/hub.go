package room

import (
	"encoding/json"
	"sort"
	"sync"

	"github.com/coder/websocket"
)

// seenSize is how many message ids a room remembers to drop redelivered messages.
const seenSize = 1024

// hub holds the rooms of one instance and the members connected to it.
type hub struct {
	mu     sync.Mutex
	rooms  map[string]*room
	closed bool
	// conns counts connections from join to the end of their handler, and the member
	// lists being published (track), so close can wait for them.
	conns sync.WaitGroup
}

// room is the local members of one room.
type room struct {
	members map[*client]struct{}
	seen    idSet
}

// pendingFrame is a frame held back while a member's history is read.
type pendingFrame struct {
	messageID string
	data      []byte
}

func newHub() *hub {
	return &hub{rooms: make(map[string]*room)}
}

// join adds c to its room, holding deliveries back until ready. It returns false once
// the hub is closed. The caller calls leave and then conns.Done when the connection
// ends.
func (h *hub) join(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	r := h.rooms[c.room]
	if r == nil {
		r = &room{members: make(map[*client]struct{}), seen: newIDSet(seenSize)}
		h.rooms[c.room] = r
	}
	r.members[c] = struct{}{}
	h.conns.Add(1)
	return true
}

// ready sends c its history frame, then the frames delivered since join except the
// messages the history already holds, and from then on delivers to c directly.
func (h *hub) ready(c *client, history []byte, ids map[string]bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c.enqueue(history)
	for _, p := range c.pending {
		if p.messageID != "" && ids[p.messageID] {
			continue
		}
		c.enqueue(p.data)
	}
	c.pending = nil
	c.ready = true
}

// leave removes c from its room; an empty room is forgotten.
func (h *hub) leave(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[c.room]
	if r == nil {
		return
	}
	delete(r.members, c)
	if len(r.members) == 0 {
		delete(h.rooms, c.room)
	}
}

// deliver queues data for every local member of roomName and reports whether the room
// has local members and had not seen messageID. A non-empty messageID that the room has
// already seen is a redelivery and is dropped. It never blocks: a member whose queue is
// full is dropped.
func (h *hub) deliver(roomName, messageID string, data []byte) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[roomName]
	if r == nil {
		return false
	}
	if messageID != "" && !r.seen.add(messageID) {
		return false
	}
	for c := range r.members {
		h.queue(c, messageID, data)
	}
	return true
}

// queue queues data for c, or holds it back while c is not ready. The caller holds mu.
func (h *hub) queue(c *client, messageID string, data []byte) {
	if !c.ready {
		if len(c.pending) >= cap(c.send) {
			c.close(websocket.StatusPolicyViolation, "too slow")
			return
		}
		c.pending = append(c.pending, pendingFrame{messageID: messageID, data: data})
		return
	}
	c.enqueue(data)
}

// others returns the local members of roomName except the connection except, ordered by
// name, and whether except is a local member.
func (h *hub) others(roomName, except string) (members []Member, local bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[roomName]
	if r == nil {
		return nil, false
	}
	for c := range r.members {
		if c.id == except {
			local = true
			continue
		}
		members = append(members, Member{Name: c.name, ConnectionID: c.id})
	}
	sort.Slice(members, func(i, j int) bool {
		if members[i].Name != members[j].Name {
			return members[i].Name < members[j].Name
		}
		return members[i].ConnectionID < members[j].ConnectionID
	})
	return members, local
}

// present sends the local member to of roomName a members frame with members, leaving
// out those the room has seen leave (a list taken before they left may arrive after).
func (h *hub) present(roomName, to string, members []Member) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[roomName]
	if r == nil {
		return nil
	}
	var target *client
	for c := range r.members {
		if c.id == to {
			target = c
			break
		}
	}
	if target == nil {
		return nil
	}
	kept := make([]Member, 0, len(members))
	for _, m := range members {
		if !r.seen.has(leftKey(m.ConnectionID)) {
			kept = append(kept, m)
		}
	}
	data, err := json.Marshal(membersFrame{Type: TypeMembers, Room: roomName, Members: kept})
	if err != nil {
		return err
	}
	h.queue(target, "", data)
	return nil
}

// track counts one piece of work that close must wait for, and reports false once the
// hub is closed. The caller calls conns.Done when the work is done.
func (h *hub) track() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns.Add(1)
	return true
}

// joinedKey and leftKey are the ids under which a room remembers presence events.
func joinedKey(connectionID string) string { return "joined:" + connectionID }
func leftKey(connectionID string) string   { return "left:" + connectionID }

// members returns the number of local members of roomName.
func (h *hub) members(roomName string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.rooms[roomName]; r != nil {
		return len(r.members)
	}
	return 0
}

// close refuses new members and closes every connection with status 1001 (going away),
// then waits for the connection handlers to return.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	for _, r := range h.rooms {
		for c := range r.members {
			c.close(websocket.StatusGoingAway, "server shutting down")
		}
	}
	h.mu.Unlock()
	h.conns.Wait()
}

// idSet remembers the last n ids added.
type idSet struct {
	ids  map[string]struct{}
	ring []string
	next int
}

func newIDSet(n int) idSet {
	return idSet{ids: make(map[string]struct{}, n), ring: make([]string, n)}
}

// has reports whether id is among the last n ids added.
func (s *idSet) has(id string) bool {
	_, ok := s.ids[id]
	return ok
}

// add records id and reports whether it was new.
func (s *idSet) add(id string) bool {
	if _, ok := s.ids[id]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.next = (s.next + 1) % len(s.ring)
	s.ids[id] = struct{}{}
	return true
}
