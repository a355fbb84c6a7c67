package chat

import (
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
	// conns counts connections from join to the end of their handler, so Close can wait
	// for them.
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

// deliver queues data for every local member of roomName. A non-empty messageID that the
// room has already seen is a redelivery and is dropped. It never blocks: a member whose
// queue is full is dropped.
func (h *hub) deliver(roomName, messageID string, data []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[roomName]
	if r == nil {
		return
	}
	if messageID != "" && !r.seen.add(messageID) {
		return
	}
	for c := range r.members {
		if !c.ready {
			if len(c.pending) >= cap(c.send) {
				c.close(websocket.StatusPolicyViolation, "too slow")
				continue
			}
			c.pending = append(c.pending, pendingFrame{messageID: messageID, data: data})
			continue
		}
		c.enqueue(data)
	}
}

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
