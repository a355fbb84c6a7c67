package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// Sizes of TestRoutesProcessSurvivesSIGKILL.
const (
	// killEvents is how many events there are in all, every other one matching the
	// route's filter.
	killEvents = 300
	// killBeforeStart is how many of them are published before the first process
	// starts; the rest are published while no process runs, after the kill.
	killBeforeStart = 200
	// killAfterArrivals is how many forwarded messages the probe must have seen before
	// the first process is killed.
	killAfterArrivals = 30
	// killConcurrency is the route's concurrency: how many consumers of its group one
	// process runs on the source topic.
	killConcurrency = 2
	// sqlBatch is how many rows a watermill-sql subscriber on PostgreSQL reads in one
	// transaction, whose offset it commits once the whole batch is acked.
	sqlBatch = 100
)

// routeEnd is one transport of a route that crosses transports.
type routeEnd struct {
	// name is the transport's name in the topology; line is its YAML flow mapping.
	name, line string
	// inFlight is how many source messages one process of the route may have forwarded
	// without their acknowledgement reaching the broker, each forwarded again once
	// redelivered after the process is killed.
	inFlight int
}

// redisEnd is Redis Streams, with a consumer group's pending messages claimed by
// another consumer once idle for 2s. A consumer reads one message at a time and waits
// for its XACK before reading the next, so each of the route's consumers has at most
// one forwarded message unacknowledged.
func redisEnd(t *testing.T) routeEnd {
	return routeEnd{name: "redis", inFlight: killConcurrency, line: fmt.Sprintf(
		"{kind: redisstream, addr: %q, block_time: 20ms, claim_interval: 200ms, min_idle_time: 2s}", testenv.Redis(t))}
}

// postgresEnd is PostgreSQL in a schema of the test's own. A subscriber commits the
// offset of a batch of rows once it has acked them all, so a kill rolls back the acks of
// up to a batch; the batch's transaction locks the group's offset row, so the route's
// consumers take one batch at a time between them.
func postgresEnd(t *testing.T) routeEnd {
	return routeEnd{name: "pg", inFlight: sqlBatch, line: fmt.Sprintf(
		"{kind: sql, dialect: postgres, dsn: %q, poll_interval: 20ms}", testenv.PostgresSchema(t))}
}

// rabbitEnd is RabbitMQ (on the loopback interface) with durable queues. A consumer
// handles one delivery at a time and writes its ack before taking the next, so each of
// the route's consumers has at most one forwarded message unacknowledged.
func rabbitEnd(t *testing.T) routeEnd {
	return routeEnd{name: "rabbit", inFlight: killConcurrency, line: fmt.Sprintf(
		"{kind: amqp, url: %q, reconnect_initial: 50ms, reconnect_max: 500ms}", testenv.RabbitMQ(t))}
}

// TestRoutesProcessSurvivesSIGKILL runs `millrace routes` as a process forwarding the
// matching half of the events of a topic on one transport to a topic on another, kills
// it with SIGKILL once some have been forwarded, publishes more while it is down and
// starts it again: every matching event arrives, as the route forwards it, and no other
// does; the duplicates a kill causes are no more than the messages that could be in
// flight; SIGTERM stops the second process with exit 0.
func TestRoutesProcessSurvivesSIGKILL(t *testing.T) {
	pairs := []struct {
		name     string
		src, dst func(*testing.T) routeEnd
	}{
		{"redis-to-postgres", redisEnd, postgresEnd},
		{"postgres-to-rabbitmq", postgresEnd, rabbitEnd},
		{"rabbitmq-to-redis", rabbitEnd, redisEnd},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			checkRouteSurvivesKill(t, p.src(t), p.dst(t))
		})
	}
}

// killEvent is the event with sequence number seq of the run suffix, of a type the
// route's filter matches when matching holds.
func killEvent(suffix string, seq int, matching bool) *message.Message {
	typ := "order.cancelled"
	if matching {
		typ = "order.created"
	}
	m := message.NewMessage(watermill.NewUUID(), fmt.Appendf(nil, `{"seq":%d,"run":%q}`, seq, suffix))
	m.Metadata.Set(metadata.KeySpecVersion, metadata.SpecVersion)
	m.Metadata.Set(metadata.KeyID, fmt.Sprintf("evt-%s-%d", suffix, seq))
	m.Metadata.Set(metadata.KeyType, typ)
	m.Metadata.Set(metadata.KeySource, "orders")
	return m
}

// arrival is one message the probe received on the destination topic.
type arrival struct {
	id, causation, eventID, typ, payload string
}

// probe records what arrives on a topic, acknowledging each message.
type probe struct {
	mu     sync.Mutex
	got    []arrival
	counts map[string]int // message id -> arrivals
	// reached is closed once at distinct message ids have arrived.
	at      int
	reached chan struct{}
}

// run records the messages of ch until it closes.
func (p *probe) run(ch <-chan *message.Message) {
	for m := range ch {
		a := arrival{id: m.UUID, causation: m.Metadata.Get(metadata.KeyCausationID),
			eventID: m.Metadata.Get(metadata.KeyID), typ: m.Metadata.Get(metadata.KeyType), payload: string(m.Payload)}
		m.Ack()
		p.mu.Lock()
		p.got = append(p.got, a)
		p.counts[a.id]++
		if len(p.counts) == p.at && p.counts[a.id] == 1 {
			close(p.reached)
		}
		p.mu.Unlock()
	}
}

// distinct returns how many distinct message ids have arrived.
func (p *probe) distinct() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.counts)
}

// has reports whether a message with id has arrived.
func (p *probe) has(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[id] > 0
}

// arrivals returns a copy of what has arrived, in arrival order.
func (p *probe) arrivals() []arrival {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]arrival(nil), p.got...)
}

// routesProcess is a `millrace routes` process.
type routesProcess struct {
	cmd    *exec.Cmd
	stderr *testenv.Buffer
	done   chan struct{} // closed once the process has exited
	err    error         // of Wait, set before done closes
}

// startRoutesProcess starts `millrace routes --topology file`. The process is killed
// when the test ends if it still runs, and its stderr is logged if the test failed.
func startRoutesProcess(t *testing.T, label, file string) *routesProcess {
	t.Helper()
	p := &routesProcess{stderr: &testenv.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary, "routes", "--topology", file)
	p.cmd.Env = append(os.Environ(), config.EnvTopology+"=")
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start millrace routes: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("stderr of the %s millrace routes (pid %d):\n%s", label, p.cmd.Process.Pid, p.stderr.String())
		}
	})
	return p
}

// exited reports whether the process has exited.
func (p *routesProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to timeout for the process to exit and returns its exit code.
func (p *routesProcess) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("millrace routes (pid %d) did not exit within %s", p.cmd.Process.Pid, timeout)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("wait for millrace routes: %v", p.err)
	}
	return 0
}

// checkRouteSurvivesKill runs the scenario of TestRoutesProcessSurvivesSIGKILL for a
// route from a topic on src to a topic on dst.
func checkRouteSurvivesKill(t *testing.T, src, dst routeEnd) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	suffix := hex.EncodeToString(b)
	from, to := "kill"+suffix+".in", "kill"+suffix+".out"
	route, probeGroup := "fwd-"+suffix, "probe-"+suffix
	file := filepath.Join(t.TempDir(), "topology.yaml")
	yaml := fmt.Sprintf(`version: 1
transports:
  %s: %s
  %s: %s
topics:
  %s: {transport: %s}
  %s: {transport: %s}
routes:
  %s:
    from: %s
    to: %s
    filter: {type: [order.created]}
    concurrency: %d
`, src.name, src.line, dst.name, dst.line, from, src.name, to, dst.name, route, from, to, killConcurrency)
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	topo, err := config.Load(config.SourceOf(file, func(string) string { return "" }, ""))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := bus.Open(topo, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bs.Close() })
	t.Cleanup(func() {
		dropIfBroker(t, topo.Transports[src.name], from, route)
		dropIfBroker(t, topo.Transports[src.name], from+".poison", router.PoisonStoreGroup)
		dropIfBroker(t, topo.Transports[dst.name], to, probeGroup)
	})

	// The route's consumer group exists before anything is published, as it does once
	// the route has run: a RabbitMQ queue keeps only what is published after it exists.
	ensureGroup(t, bs, route, from)

	sub, err := bs.NewSubscriber(probeGroup)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out, err := sub.Subscribe(ctx, to)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	pr := &probe{counts: map[string]int{}, at: killAfterArrivals, reached: make(chan struct{})}
	probed := make(chan struct{})
	go func() { pr.run(out); close(probed) }()
	t.Cleanup(func() {
		cancel()
		_ = sub.Close()
		<-probed
	})

	want := map[string]*message.Message{}   // forwarded id -> source message
	others := map[string]*message.Message{} // ForwardedID of a non-matching message -> it
	publish := func(first, end int) {
		t.Helper()
		for seq := first; seq < end; seq++ {
			m := killEvent(suffix, seq, seq%2 == 0)
			if seq%2 == 0 {
				want[router.ForwardedID(route, m.UUID)] = m
			} else {
				others[router.ForwardedID(route, m.UUID)] = m
			}
			if err := bs.Publisher().Publish(from, m); err != nil {
				t.Fatalf("publish event %d: %v", seq, err)
			}
		}
	}

	publish(0, killBeforeStart)
	first := startRoutesProcess(t, "first", file)
	// The kill follows the arrival that makes killAfterArrivals at once, so that it
	// lands while the process is forwarding.
	select {
	case <-pr.reached:
	case <-first.done:
		t.Fatalf("the first millrace routes exited before it was killed: %v", first.err)
	case <-time.After(60 * time.Second):
		t.Fatalf("timed out after 1m0s waiting for %d forwarded messages from the first process", killAfterArrivals)
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill millrace routes: %v", err)
	}
	first.wait(t, 30*time.Second)
	atKill := pr.distinct()
	if ws, ok := first.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the first process ended with %v, not by SIGKILL", first.cmd.ProcessState)
	}

	publish(killBeforeStart, killEvents)
	second := startRoutesProcess(t, "second", file)
	testenv.Eventually(t, fmt.Sprintf("all %d matching events forwarded", len(want)), 90*time.Second, func() bool {
		return pr.distinct() >= len(want) || second.exited()
	})
	if second.exited() {
		t.Fatalf("the second millrace routes exited by itself: %v", second.err)
	}
	sentinel := killEvent(suffix, -1, true)
	sentinelID := router.ForwardedID(route, sentinel.UUID)
	want[sentinelID] = sentinel
	if err := bs.Publisher().Publish(from, sentinel); err != nil {
		t.Fatalf("publish the sentinel: %v", err)
	}
	testenv.Eventually(t, "the sentinel forwarded", 60*time.Second, func() bool { return pr.has(sentinelID) || second.exited() })
	if second.exited() {
		t.Fatalf("the second millrace routes exited by itself: %v", second.err)
	}

	got := pr.arrivals()
	counts := map[string]int{}
	for _, a := range got {
		counts[a.id]++
		orig, ok := want[a.id]
		if !ok {
			if o, other := others[a.id]; other {
				t.Errorf("forwarded %s (type %s, %s), which the filter does not match", a.id, a.typ, o.Payload)
			} else {
				t.Errorf("message %s (causation id %q, %s) is not a forwarding of any event published", a.id, a.causation, a.payload)
			}
			continue
		}
		if counts[a.id] > 1 {
			continue
		}
		if a.payload != string(orig.Payload) || a.causation != orig.UUID ||
			a.eventID != orig.Metadata.Get(metadata.KeyID) || a.typ != orig.Metadata.Get(metadata.KeyType) {
			t.Errorf("forwarded %s: payload %s, causation id %q, event id %q, type %q; want %s, %q, %q, %q",
				a.id, a.payload, a.causation, a.eventID, a.typ,
				orig.Payload, orig.UUID, orig.Metadata.Get(metadata.KeyID), orig.Metadata.Get(metadata.KeyType))
		}
	}
	var missing []string
	for id, orig := range want {
		if counts[id] == 0 {
			missing = append(missing, string(orig.Payload))
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d matching events never arrived: %s", len(missing), strings.Join(missing, ", "))
	}
	if len(counts) != len(want) {
		t.Errorf("%d distinct forwarded messages arrived, want %d (every matching event and the sentinel)", len(counts), len(want))
	}
	duplicates := len(got) - len(counts)
	bound := src.inFlight
	t.Logf("%s -> %s: %d arrivals of %d distinct forwarded messages (%d matching events and the sentinel); %d had arrived when the first process was killed; %d duplicates (bound %d)",
		src.name, dst.name, len(got), len(counts), len(want)-1, atKill, duplicates, bound)
	if duplicates > bound {
		t.Errorf("%d duplicates after one kill, more than the %d messages a %s source can have in flight", duplicates, bound, src.name)
	}

	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM millrace routes: %v", err)
	}
	if code := second.wait(t, 60*time.Second); code != exitOK {
		t.Errorf("the second millrace routes exited %d after SIGTERM, want %d", code, exitOK)
	}
	if !strings.Contains(second.stderr.String(), "routes stopped") {
		t.Errorf("the second millrace routes logged no clean stop")
	}
}

// ensureGroup subscribes to topic as consumer group group and closes the subscription
// again before anything is published, so that the group's queue or offsets exist.
func ensureGroup(t *testing.T, bs *bus.Bus, group, topic string) {
	t.Helper()
	sub, err := bs.NewSubscriber(group)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := sub.Subscribe(ctx, topic); err != nil {
		t.Fatalf("subscribe %s as %s: %v", topic, group, err)
	}
	cancel()
	if err := sub.Close(); err != nil {
		t.Fatalf("close the subscription of %s as %s: %v", topic, group, err)
	}
}

// dropIfBroker drops topic and groups from tr unless tr is a SQL database, whose tables
// go with the test's schema.
func dropIfBroker(t *testing.T, tr *topology.Transport, topic string, groups ...string) {
	t.Helper()
	if _, _, ok := tr.Database(); ok {
		return
	}
	testenv.DropTopic(t, tr, topic, groups...)
}
