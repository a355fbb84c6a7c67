package room

import (
	"context"
	"sync"
)

// HistoryLimit is how many recent messages a joining member receives.
const HistoryLimit = 50

// History stores the recent messages of each room.
type History interface {
	// Append stores msg as the newest message of its room.
	Append(ctx context.Context, msg *MessageSent) error
	// Recent returns the last n messages of room, oldest first.
	Recent(ctx context.Context, room string, n int) ([]MessageSent, error)
}

// MemoryHistory keeps the last Limit messages of each room in memory; they are lost
// when the process ends, so use it for a single local instance only.
type MemoryHistory struct {
	mu    sync.Mutex
	limit int
	rooms map[string][]MessageSent
}

var _ History = (*MemoryHistory)(nil)

// NewMemoryHistory returns a MemoryHistory keeping limit messages per room (HistoryLimit
// when limit is not positive).
func NewMemoryHistory(limit int) *MemoryHistory {
	if limit <= 0 {
		limit = HistoryLimit
	}
	return &MemoryHistory{limit: limit, rooms: make(map[string][]MessageSent)}
}

// Append stores msg.
func (h *MemoryHistory) Append(_ context.Context, msg *MessageSent) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	msgs := append(h.rooms[msg.Room], *msg)
	if len(msgs) > h.limit {
		msgs = append([]MessageSent(nil), msgs[len(msgs)-h.limit:]...)
	}
	h.rooms[msg.Room] = msgs
	return nil
}

// Recent returns the last n messages of room, oldest first.
func (h *MemoryHistory) Recent(_ context.Context, room string, n int) ([]MessageSent, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	msgs := h.rooms[room]
	if n < len(msgs) {
		msgs = msgs[len(msgs)-n:]
	}
	return append([]MessageSent(nil), msgs...), nil
}
