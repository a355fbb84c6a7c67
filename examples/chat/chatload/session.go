package chatload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"
)

// maxErrors is how many distinct error messages a report keeps.
const maxErrors = 10

// session is a set of connected clients and the phases of load sent through them.
type session struct {
	run         string
	roomPrefix  string
	dialTimeout time.Duration
	// base is the origin of the send times in message texts.
	base time.Time

	// phase is the phase being measured; nil between phases.
	phase atomic.Pointer[phase]

	clients []*client
	// rooms holds the members of each room.
	rooms [][]*client

	closing       atomic.Bool
	connectErrors atomic.Int64
	disconnects   atomic.Int64
	late          atomic.Int64
	errs          errorLog
}

func newSession(roomPrefix string, dialTimeout time.Duration) *session {
	return &session{run: randomID(), roomPrefix: roomPrefix, dialTimeout: dialTimeout, base: time.Now()}
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *session) roomName(room int) string { return fmt.Sprintf("%s-%d", s.roomPrefix, room) }

// now returns the session clock in nanoseconds.
func (s *session) now() int64 { return int64(time.Since(s.base)) }

// errorLog keeps the first distinct error messages and counts all.
type errorLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *errorLog) add(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if m == msg {
			return
		}
	}
	if len(l.msgs) < maxErrors {
		l.msgs = append(l.msgs, msg)
	}
}

func (l *errorLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

// client is one WebSocket connection, member of one room.
type client struct {
	s     *session
	index int
	room  int
	// target is the index of the target the client connects to.
	target int
	conn   *websocket.Conn
	// connected is set once the history frame arrived, before the client sends.
	connected atomic.Bool
	// ready is closed when the history frame arrived; done when the reader ended.
	ready     chan struct{}
	readyOnce sync.Once
	done      chan struct{}

	// seq numbers the messages this client sends; only its sender touches it.
	seq uint64

	mu  sync.Mutex
	rec receipts
}

// receipts are what one member received in one phase.
type receipts struct {
	phase      int
	seen       map[msgKey]struct{}
	latencies  []int64
	fromServer []int64
	duplicates int64
}

type msgKey struct {
	sender int
	seq    uint64
}

// connectJob is a client to connect to target.
type connectJob struct {
	c      *client
	target string
}

// add adds clients to room until it has size members and returns them to connect. Each
// new member goes to the target with the fewest members of the room, so every room is
// split evenly across the targets.
func (s *session) add(targets []string, room, size int) []connectJob {
	for len(s.rooms) <= room {
		s.rooms = append(s.rooms, nil)
	}
	count := make([]int, len(targets))
	for _, c := range s.rooms[room] {
		count[c.target]++
	}
	var jobs []connectJob
	for len(s.rooms[room]) < size {
		t := 0
		for i := range count {
			if count[i] < count[t] {
				t = i
			}
		}
		count[t]++
		c := &client{s: s, index: len(s.clients), room: room, target: t, ready: make(chan struct{}), done: make(chan struct{})}
		s.clients = append(s.clients, c)
		s.rooms[room] = append(s.rooms[room], c)
		jobs = append(jobs, connectJob{c: c, target: targets[t]})
	}
	return jobs
}

// resize brings room to size connected members: it closes the members beyond size and
// those that dropped out, then connects new ones.
func (s *session) resize(ctx context.Context, targets []string, room, size, workers int) {
	for len(s.rooms) <= room {
		s.rooms = append(s.rooms, nil)
	}
	var keep, gone []*client
	for i, c := range s.rooms[room] {
		if i < size && c.connected.Load() {
			keep = append(keep, c)
		} else {
			gone = append(gone, c)
		}
	}
	s.rooms[room] = keep
	var wg sync.WaitGroup
	for _, c := range gone {
		// Not connected any more: its end is no disconnect.
		if c.connected.Swap(false) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.conn.Close(websocket.StatusNormalClosure, "room shrinks"); err != nil {
					_ = c.conn.CloseNow()
				}
				<-c.done
			}()
		}
	}
	wg.Wait()
	s.connect(ctx, s.add(targets, room, size), workers)
}

// connect connects the clients of jobs, workers at a time, each until it received its
// history frame, and stops starting new ones when ctx ends. A client that could not
// connect counts as a connection error and takes no part in the load.
func (s *session) connect(ctx context.Context, jobs []connectJob, workers int) {
	ch := make(chan connectJob)
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range ch {
				if err := jb.c.connect(ctx, jb.target); err != nil {
					s.connectErrors.Add(1)
					s.errs.add("connect: %v", err)
				}
			}
		}()
	}
	for _, jb := range jobs {
		select {
		case ch <- jb:
		case <-ctx.Done():
		}
	}
	close(ch)
	wg.Wait()
}

// connect dials target, starts the reader and waits for the history frame.
func (c *client) connect(ctx context.Context, target string) error {
	dctx, cancel := context.WithTimeout(ctx, c.s.dialTimeout)
	defer cancel()
	url := wsURL(target, c.s.roomName(c.room), "m"+strconv.Itoa(c.index))
	conn, resp, err := websocket.Dial(dctx, url, nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("%s: %w (HTTP %d)", target, err, resp.StatusCode)
		}
		return fmt.Errorf("%s: %w", target, err)
	}
	conn.SetReadLimit(4 << 20)
	c.conn = conn
	go c.read()
	select {
	case <-c.ready:
		c.connected.Store(true)
		return nil
	case <-c.done:
		err = fmt.Errorf("%s: connection ended before the history frame", target)
	case <-dctx.Done():
		err = fmt.Errorf("%s: no history frame: %w", target, dctx.Err())
	}
	_ = conn.CloseNow()
	<-c.done
	return err
}

// serverFrame is the part of a server frame the load reads.
type serverFrame struct {
	Type      string `json:"type"`
	RequestID string `json:"request_id"`
	OK        bool   `json:"ok"`
	Reason    string `json:"reason"`
	Text      string `json:"text"`
	// SentAt is when the server took the message (its clock; on one machine, the same
	// wall clock as the load's).
	SentAt time.Time `json:"sent_at"`
}

// read handles server frames until the connection ends.
func (c *client) read() {
	defer close(c.done)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			// A client the load did not close counts once as a disconnect and takes no
			// part in later phases.
			if c.connected.Swap(false) && !c.s.closing.Load() {
				c.s.disconnects.Add(1)
				c.s.errs.add("connection ended: %v", err)
			}
			return
		}
		at, wall := c.s.now(), time.Now()
		var f serverFrame
		if err := json.Unmarshal(data, &f); err != nil {
			c.s.errs.add("bad server frame: %v", err)
			continue
		}
		switch f.Type {
		case "history":
			c.readyOnce.Do(func() { close(c.ready) })
		case "message":
			c.received(f.Text, at, wall.Sub(f.SentAt))
		case "result":
			c.result(f)
		}
	}
}

// received records a delivery of a load message received at at, fromServer after the
// server took it.
func (c *client) received(text string, at int64, fromServer time.Duration) {
	m, ok := c.s.parse(text)
	if !ok {
		return
	}
	ph := c.s.phase.Load()
	if ph == nil || ph.id != m.phase {
		c.s.late.Add(1)
		return
	}
	key := msgKey{sender: m.sender, seq: m.seq}
	c.mu.Lock()
	if c.rec.phase != ph.id || c.rec.seen == nil {
		c.rec = receipts{phase: ph.id, seen: make(map[msgKey]struct{})}
	}
	if _, dup := c.rec.seen[key]; dup {
		c.rec.duplicates++
		c.mu.Unlock()
		return
	}
	c.rec.seen[key] = struct{}{}
	c.rec.latencies = append(c.rec.latencies, at-m.sent)
	c.rec.fromServer = append(c.rec.fromServer, int64(fromServer))
	c.mu.Unlock()
	ph.delivered.Add(1)
}

// result counts the answer to a message this client sent.
func (c *client) result(f serverFrame) {
	id, ok := strings.CutPrefix(f.RequestID, "p")
	if !ok {
		return
	}
	num, _, _ := strings.Cut(id, "-")
	ph := c.s.phase.Load()
	if ph == nil || strconv.Itoa(ph.id) != num {
		return
	}
	if f.OK {
		ph.accepted[c.room].Add(1)
		return
	}
	ph.rejected.Add(1)
	c.s.errs.add("message rejected: %s", f.Reason)
}

// loadText is a parsed message text.
type loadText struct {
	phase  int
	sender int
	seq    uint64
	sent   int64
}

func (s *session) text(phase, sender int, seq uint64, sent int64) string {
	return fmt.Sprintf("load %s %d %d %d %d", s.run, phase, sender, seq, sent)
}

// parse reads a text written by text; ok is false for any other text.
func (s *session) parse(text string) (m loadText, ok bool) {
	f := strings.Fields(text)
	if len(f) != 6 || f[0] != "load" || f[1] != s.run {
		return m, false
	}
	var errs [4]error
	m.phase, errs[0] = strconv.Atoi(f[2])
	m.sender, errs[1] = strconv.Atoi(f[3])
	m.seq, errs[2] = strconv.ParseUint(f[4], 10, 64)
	m.sent, errs[3] = strconv.ParseInt(f[5], 10, 64)
	return m, errors.Join(errs[:]...) == nil
}

// phase is one measured period of load.
type phase struct {
	id int
	// members is the size of each room when the phase started.
	members   []int
	sent      atomic.Int64
	accepted  []atomic.Int64
	rejected  atomic.Int64
	writeErrs atomic.Int64
	delivered atomic.Int64
}

func (p *phase) expected() int64 {
	var n int64
	for r := range p.accepted {
		n += p.accepted[r].Load() * int64(p.members[r])
	}
	return n
}

func (p *phase) answered() int64 {
	n := p.rejected.Load()
	for r := range p.accepted {
		n += p.accepted[r].Load()
	}
	return n
}

// phaseResult is what one phase measured.
type phaseResult struct {
	clients    int
	sent       int64
	accepted   int64
	rejected   int64
	writeErrs  int64
	expected   int64
	delivered  int64
	duplicates int64
	sendTime   time.Duration
	latencies  []int64
	fromServer []int64
}

// runPhase sends total messages/s spread evenly over every connected member for
// duration, then waits up to drain for the missing deliveries and answers.
func (s *session) runPhase(ctx context.Context, id int, total float64, duration, drain time.Duration) phaseResult {
	ph := &phase{id: id, members: make([]int, len(s.rooms)), accepted: make([]atomic.Int64, len(s.rooms))}
	var senders []*client
	for r, members := range s.rooms {
		for _, c := range members {
			if c.connected.Load() {
				senders = append(senders, c)
				ph.members[r]++
			}
		}
	}
	s.phase.Store(ph)
	res := phaseResult{clients: len(senders)}
	if len(senders) == 0 {
		s.phase.Store(nil)
		return res
	}
	per := total / float64(len(senders))
	start := time.Now()
	sctx, cancel := context.WithDeadline(ctx, start.Add(duration))
	var wg sync.WaitGroup
	for _, c := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.send(sctx, ph, per)
		}()
	}
	wg.Wait()
	// A sender stops once its next token falls after the deadline: wait for the
	// deadline, so the rate is measured over the whole duration.
	<-sctx.Done()
	cancel()
	res.sendTime = time.Since(start)

	deadline := time.Now().Add(drain)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if ph.answered() >= ph.sent.Load()-ph.writeErrs.Load() && ph.delivered.Load() >= ph.expected() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.phase.Store(nil)

	res.sent, res.rejected, res.writeErrs = ph.sent.Load(), ph.rejected.Load(), ph.writeErrs.Load()
	for r := range ph.accepted {
		res.accepted += ph.accepted[r].Load()
	}
	res.expected = ph.expected()
	res.delivered = ph.delivered.Load()
	for _, c := range s.clients {
		c.mu.Lock()
		if c.rec.phase == id {
			res.latencies = append(res.latencies, c.rec.latencies...)
			res.fromServer = append(res.fromServer, c.rec.fromServer...)
			res.duplicates += c.rec.duplicates
		}
		c.rec = receipts{}
		c.mu.Unlock()
	}
	return res
}

// send writes messages at per messages/s, with a token bucket of burst 1 that starts at
// a random point of its first interval, until ctx ends.
func (c *client) send(ctx context.Context, ph *phase, per float64) {
	interval := time.Duration(float64(time.Second) / per)
	offset := time.Duration(mrand.Int64N(int64(interval) + 1))
	t := time.NewTimer(offset)
	select {
	case <-ctx.Done():
		t.Stop()
		return
	case <-t.C:
	}
	lim := rate.NewLimiter(rate.Limit(per), 1)
	for {
		if err := lim.Wait(ctx); err != nil {
			return
		}
		c.seq++
		sent := c.s.now()
		frame := fmt.Sprintf(`{"type":"message","request_id":"p%d-%d","text":%q}`, ph.id, c.seq, c.s.text(ph.id, c.index, c.seq, sent))
		ph.sent.Add(1)
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.s.dialTimeout)
		err := c.conn.Write(wctx, websocket.MessageText, []byte(frame))
		cancel()
		if err != nil {
			ph.writeErrs.Add(1)
			if !c.s.closing.Load() {
				c.s.errs.add("write: %v", err)
			}
			return
		}
	}
}

// close closes every connection with status 1000 and waits for the readers.
func (s *session) close() {
	s.closing.Store(true)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, c := range s.clients {
		if !c.connected.Load() {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.conn.Close(websocket.StatusNormalClosure, "load done"); err != nil {
				_ = c.conn.CloseNow()
			}
			<-c.done
		}()
	}
	wg.Wait()
}
