package chat_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"

	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/millrace/millrace/examples/chat"
	"github.com/millrace/millrace/examples/chat/chattest"
	"github.com/millrace/millrace/examples/chat/room"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// wait is how long a test waits for something that should happen.
const wait = 20 * time.Second

func suffix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// profile is a topology for one test run: its chat topics have a unique prefix, so runs
// never share streams, exchanges or tables.
type profile struct {
	name     string
	topo     *topology.Topology
	messages string
	presence string
	history  chat.HistoryOptions
	// durable is false when the history does not survive a restart (memory).
	durable bool
}

// newProfile builds the topology of kind (local, redis, rabbitmq, postgres) with topics
// chat<suffix>.messages and chat<suffix>.presence.
func newProfile(t testing.TB, kind string) profile {
	t.Helper()
	id := suffix(t)
	prefix := "chat" + id
	var transport string
	durable := true
	switch kind {
	case "local":
		transport = "t: {kind: gochannel}"
		durable = false
	case "redis":
		transport = fmt.Sprintf("t: {kind: redisstream, addr: %q}", testenv.Redis(t))
	case "rabbitmq":
		transport = fmt.Sprintf("t: {kind: amqp, url: %q}\n  pg: {kind: sql, dialect: postgres, dsn: %q}",
			testenv.RabbitMQ(t), testenv.Postgres(t))
	case "postgres":
		transport = fmt.Sprintf("t: {kind: sql, dialect: postgres, dsn: %q, poll_interval: 20ms}", testenv.Postgres(t))
	default:
		t.Fatalf("unknown profile %s", kind)
	}
	yaml := fmt.Sprintf(`version: 1
transports:
  %s
topics:
  %[2]s.messages: {transport: t, delivery: broadcast}
  %[2]s.presence: {transport: t, delivery: broadcast}
defaults:
  retry: {max_attempts: 2, initial_interval: 10ms, max_interval: 20ms, multiplier: 2}
handlers:
  chat-fanout: {topic: "%[2]s.*"}
`, transport, prefix)
	topo, err := topology.Parse(kind+"-chat-test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("parse topology: %v\n%s", err, yaml)
	}
	return profile{
		name: kind, topo: topo,
		messages: prefix + ".messages", presence: prefix + ".presence",
		history: chat.HistoryOptions{RedisPrefix: "millrace:test:" + id + ":"},
		durable: durable,
	}
}

// startInstance runs a chat instance of p on a free port until the test ends or its
// Stop.
func startInstance(t testing.TB, p profile, tune func(*chat.Config)) *chattest.Instance {
	t.Helper()
	return chattest.Start(t, p.topo, chattest.Options{
		MessagesTopic: p.messages, PresenceTopic: p.presence, History: p.history, Tune: tune,
	})
}

// frame is any server frame, decoded loosely.
type frame struct {
	Type      string             `json:"type"`
	RequestID string             `json:"request_id"`
	OK        bool               `json:"ok"`
	Reason    string             `json:"reason"`
	MessageID string             `json:"message_id"`
	Room      string             `json:"room"`
	Name      string             `json:"name"`
	Text      string             `json:"text"`
	Messages  []room.MessageSent `json:"messages"`
	// ConnectionID is the sender's in a message, the member's in presence, the
	// receiver's own in history.
	ConnectionID string        `json:"connection_id"`
	Members      []room.Member `json:"members"`
	Raw          string        `json:"-"`
}

// client is a test WebSocket client; a goroutine reads its frames.
type client struct {
	t      testing.TB
	conn   *websocket.Conn
	frames chan frame
	// closed holds the read error once the connection ends.
	closed chan error
	seq    int
	// backlog holds frames received but not yet asked for.
	backlog []frame

	// The members online as the page keeps them, from the reader goroutine.
	mu      sync.Mutex
	id      string            // own connection id, from the history frame
	online  map[string]string // connection id -> name
	left    map[string]bool
	changed chan struct{}
}

// follow keeps the member list from f as the page does: its own connection from the
// history frame, members frames and presence; a member seen leaving is not added again.
func (c *client) follow(f frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch f.Type {
	case "history":
		c.id = f.ConnectionID
	case "members":
		for _, m := range f.Members {
			if !c.left[m.ConnectionID] {
				c.online[m.ConnectionID] = m.Name
			}
		}
	case "user_joined":
		if !c.left[f.ConnectionID] {
			c.online[f.ConnectionID] = f.Name
		}
	case "user_left":
		c.left[f.ConnectionID] = true
		delete(c.online, f.ConnectionID)
	default:
		return
	}
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// ownID returns the client's connection id, waiting for its history frame.
func (c *client) ownID() string {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		id := c.id
		c.mu.Unlock()
		if id != "" {
			return id
		}
		select {
		case <-c.changed:
		case <-deadline:
			c.t.Fatal("no history frame")
		}
	}
}

// waitOnline waits until the names of the members online are exactly names (in any
// order), and returns them by connection id.
func (c *client) waitOnline(names ...string) map[string]string {
	c.t.Helper()
	slices.Sort(names)
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		var got []string
		for _, n := range c.online {
			got = append(got, n)
		}
		snapshot := make(map[string]string, len(c.online))
		for id, n := range c.online {
			snapshot[id] = n
		}
		c.mu.Unlock()
		slices.Sort(got)
		if slices.Equal(got, names) {
			return snapshot
		}
		select {
		case <-c.changed:
		case <-deadline:
			c.t.Fatalf("members online %v, want %v", got, names)
		}
	}
}

func wsURL(addr, room, name string) string {
	return fmt.Sprintf("ws://%s/ws?room=%s&name=%s", addr, room, name)
}

func dial(t testing.TB, addr, room, name string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, wsURL(addr, room, name), nil)
	if err != nil {
		t.Fatalf("dial %s as %s: %v (response %v)", room, name, err, resp)
	}
	conn.SetReadLimit(1 << 20)
	c := &client{t: t, conn: conn, frames: make(chan frame, 4096), closed: make(chan error, 1),
		online: make(map[string]string), left: make(map[string]bool), changed: make(chan struct{}, 1)}
	go func() {
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				c.closed <- err
				close(c.frames)
				return
			}
			var f frame
			if err := json.Unmarshal(data, &f); err != nil {
				c.closed <- fmt.Errorf("bad server frame %q: %w", data, err)
				close(c.frames)
				return
			}
			f.Raw = string(data)
			c.follow(f)
			c.frames <- f
		}
	}()
	t.Cleanup(func() { _ = conn.CloseNow() })
	return c
}

// next returns the first frame matching keep, failing the test after wait. Frames it
// passes over stay queued, in order, for later calls.
func (c *client) next(keep func(frame) bool) frame {
	c.t.Helper()
	for i, f := range c.backlog {
		if keep(f) {
			c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
			return f
		}
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("connection ended while waiting: %v", <-c.closed)
			}
			if keep(f) {
				return f
			}
			c.backlog = append(c.backlog, f)
		case <-timer.C:
			c.t.Fatal("no expected frame within the deadline")
		}
	}
}

func ofType(typ string) func(frame) bool { return func(f frame) bool { return f.Type == typ } }

// presence matches the presence frame of type typ about name.
func presence(typ, name string) func(frame) bool {
	return func(f frame) bool { return f.Type == typ && f.Name == name }
}

// sendRaw writes one text frame.
func (c *client) sendRaw(data string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(data)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// say sends text and returns the result frame.
func (c *client) say(text string) frame {
	c.t.Helper()
	c.seq++
	id := fmt.Sprintf("r%d", c.seq)
	data, _ := json.Marshal(map[string]string{"type": "message", "request_id": id, "text": text})
	c.sendRaw(string(data))
	return c.next(func(f frame) bool { return f.Type == "result" && f.RequestID == id })
}

// closeStatus waits for the connection to end and returns its close status.
func (c *client) closeStatus() websocket.StatusCode {
	c.t.Helper()
	select {
	case err := <-c.closed:
		return websocket.CloseStatus(err)
	case <-time.After(wait):
		c.t.Fatal("connection still open")
		return -1
	}
}

// collect reads frames of type message until one has text last, and returns the texts
// in order.
func (c *client) collect(last string) []string {
	c.t.Helper()
	var texts []string
	for _, f := range c.collectFrames(last) {
		texts = append(texts, f.Text)
	}
	return texts
}

// collectFrames reads frames of type message until one has text last, and returns them
// in order.
func (c *client) collectFrames(last string) []frame {
	c.t.Helper()
	var frames []frame
	for {
		f := c.next(ofType("message"))
		frames = append(frames, f)
		if f.Text == last {
			return frames
		}
	}
}

func httpStatus(t testing.TB, url string, header http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func join(xs []string) string { return strings.Join(xs, ",") }
