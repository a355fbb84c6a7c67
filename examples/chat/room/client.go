package room

import (
	"context"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// client is one WebSocket connection, member of one room.
type client struct {
	id, room, name string

	// send is the bounded queue of frames for the writer goroutine.
	send chan []byte
	// done is closed by close; the writer then closes the socket with code and reason.
	done      chan struct{}
	closeOnce sync.Once
	code      websocket.StatusCode
	reason    string

	// pending and ready are guarded by the hub's mutex.
	pending []pendingFrame
	ready   bool
}

func newClient(id, room, name string, queue int) *client {
	return &client{id: id, room: room, name: name, send: make(chan []byte, queue), done: make(chan struct{})}
}

// enqueue queues data without waiting; a full queue drops the client.
func (c *client) enqueue(data []byte) {
	select {
	case <-c.done:
	case c.send <- data:
	default:
		c.close(websocket.StatusPolicyViolation, "too slow")
	}
}

// close asks the writer to close the socket with code and reason; the first call wins.
func (c *client) close(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.code, c.reason = code, reason
		close(c.done)
	})
}

// write sends queued frames until close is called or a write fails, then closes conn.
// Each write may take writeTimeout at most; a client that does not read is cut off. One
// timer per connection enforces it (reset before a write, stopped after), so a frame
// costs no context or timer of its own.
func (c *client) write(conn *websocket.Conn, writeTimeout time.Duration) {
	cut := time.AfterFunc(writeTimeout, func() { _ = conn.CloseNow() })
	cut.Stop()
	defer cut.Stop()
	for {
		select {
		case <-c.done:
			// Close waits for the peer's close frame, at most a few seconds.
			_ = conn.Close(c.code, c.reason)
			return
		case data := <-c.send:
			cut.Reset(writeTimeout)
			err := conn.Write(context.Background(), websocket.MessageText, data)
			cut.Stop()
			if err != nil {
				c.close(websocket.StatusGoingAway, "write failed")
				_ = conn.CloseNow()
				return
			}
		}
	}
}
