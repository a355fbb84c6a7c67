package cli

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/transport/transporttest"
)

// routesTopology is a topology file on the transport declared by transportLine (named
// tr), with a route fwd-<s> from <s>.in to <s>.out that forwards order.created events
// whose n is below 100.
func routesTopology(t *testing.T, s, transportLine string) string {
	t.Helper()
	return writeFile(t, "topology.yaml", fmt.Sprintf(`version: 1
transports:
  tr: %s
topics:
  %[2]s.in: {transport: tr}
  %[2]s.out: {transport: tr}
routes:
  fwd-%[2]s:
    from: %[2]s.in
    to: %[2]s.out
    filter: {type: [order.created], data: {n: [{numeric: ["<", 100]}]}}
`, transportLine, s))
}

// routesEvent is an event of type typ with payload {"n": n}.
func routesEvent(typ string, n int) *message.Message {
	m := message.NewMessage(watermill.NewUUID(), fmt.Appendf(nil, `{"n": %d}`, n))
	m.Metadata.Set(metadata.KeySpecVersion, metadata.SpecVersion)
	m.Metadata.Set(metadata.KeyType, typ)
	m.Metadata.Set(metadata.KeySource, "orders")
	return m
}

// openTestBus opens the bus of the topology file path.
func openTestBus(t *testing.T, path string) *bus.Bus {
	t.Helper()
	topo, err := config.Load(config.SourceOf(path, func(string) string { return "" }, ""))
	if err != nil {
		t.Fatal(err)
	}
	b, err := bus.Open(topo, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// routesProcess is a `millrace routes` running in a goroutine.
type routesProcess struct {
	cancel context.CancelFunc
	exit   chan int
	stderr *testenv.Buffer
}

// startRoutes runs the command line `millrace routes args...` until the test ends or
// stop is called, and waits until every route has subscribed.
func startRoutes(t *testing.T, args []string, opts ...Option) *routesProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &routesProcess{cancel: cancel, exit: make(chan int, 1), stderr: &testenv.Buffer{}}
	var stdout testenv.Buffer
	go func() { p.exit <- Run(ctx, append([]string{"routes"}, args...), &stdout, p.stderr, opts...) }()
	t.Cleanup(func() {
		cancel()
		<-p.exit
	})
	ok := false
	defer func() {
		if !ok {
			t.Logf("stderr of millrace routes:\n%s", p.stderr.String())
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.stderr.String(), "routes running") {
		select {
		case code := <-p.exit:
			p.exit <- code
			t.Fatalf("millrace routes exited %d before running", code)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("millrace routes did not start within 30s")
		}
	}
	ok = true
	return p
}

// stop cancels the command's context and returns its exit code.
func (p *routesProcess) stop(t *testing.T) int {
	t.Helper()
	p.cancel()
	select {
	case code := <-p.exit:
		p.exit <- code // for the cleanup
		return code
	case <-time.After(60 * time.Second):
		t.Fatalf("millrace routes did not stop within 60s; stderr:\n%s", p.stderr.String())
		return -1
	}
}

// checkForwarding publishes matching and non-matching events on <s>.in through b, then
// a matching sentinel, and checks that what arrives on <s>.out up to the sentinel is
// each matching event exactly once, as the route fwd-<s> forwards it.
func checkForwarding(t *testing.T, b *bus.Bus, s string) {
	t.Helper()
	route := "fwd-" + s
	sub, err := b.NewSubscriber("probe-" + s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	out, err := sub.Subscribe(ctx, s+".out")
	if err != nil {
		t.Fatal(err)
	}

	want := map[string]*message.Message{} // forwarded id -> original
	for i := range 12 {
		var m *message.Message
		switch i % 3 {
		case 0:
			m = routesEvent("order.created", i) // matches
		case 1:
			m = routesEvent("order.cancelled", i) // wrong type
		default:
			m = routesEvent("order.created", 100+i) // n too big
		}
		if i%3 == 0 {
			want[router.ForwardedID(route, m.UUID)] = m
		}
		if err := b.Publisher().Publish(s+".in", m); err != nil {
			t.Fatal(err)
		}
	}
	sentinel := routesEvent("order.created", -1)
	sentinelID := router.ForwardedID(route, sentinel.UUID)
	if err := b.Publisher().Publish(s+".in", sentinel); err != nil {
		t.Fatal(err)
	}

	got := map[string]int{}
	for got[sentinelID] == 0 {
		select {
		case m := <-out:
			got[m.UUID]++
			m.Ack()
			if m.UUID == sentinelID {
				continue
			}
			orig, ok := want[m.UUID]
			if !ok {
				t.Errorf("forwarded %s (type %s, %s), which the filter does not match", m.UUID, m.Metadata.Get(metadata.KeyType), m.Payload)
				continue
			}
			if string(m.Payload) != string(orig.Payload) || m.Metadata.Get(metadata.KeyCausationID) != orig.UUID {
				t.Errorf("forwarded %s: payload %s, causation id %q; want %s, %q",
					m.UUID, m.Payload, m.Metadata.Get(metadata.KeyCausationID), orig.Payload, orig.UUID)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("the sentinel was not forwarded within 30s; got %v", got)
		}
	}
	for id, orig := range want {
		if got[id] != 1 {
			t.Errorf("event %s (%s) forwarded %d times, want once", orig.UUID, orig.Payload, got[id])
		}
	}
}

// TestRoutesForwardsOnMemory runs `millrace routes` on the in-memory transport, over a
// bus the test shares through WithConnector: matching events are forwarded once each,
// the others are not, /metrics counts the route's deliveries, and cancelling the
// context (what SIGINT does) ends the command with exit 0.
func TestRoutesForwardsOnMemory(t *testing.T) {
	s := "r" + randomName(t)
	file := routesTopology(t, s, "{kind: gochannel}")
	b := openTestBus(t, file)
	connector := WithConnector(func(config.Source, *slog.Logger) (*bus.Bus, func(), error) {
		return b, func() {}, nil
	})
	p := startRoutes(t, []string{"--topology", file, "--http-addr", "127.0.0.1:0"}, connector)

	logs := p.stderr.String()
	if !strings.Contains(logs, `msg="running route" service=millrace-routes route=fwd-`+s+` from=[`+s+`.in] to=`+s+`.out`) {
		t.Errorf("the route is not logged at info with its topics:\n%s", logs)
	}
	if !strings.Contains(logs, "level=WARN msg=\"route on in-memory topics") {
		t.Errorf("no warning that the route is on in-memory topics:\n%s", logs)
	}
	m := regexp.MustCompile(`serving /healthz, /readyz and /metrics" service=millrace-routes addr=(\S+)`).FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("the HTTP address is not logged:\n%s", logs)
	}
	base := "http://" + m[1]

	checkForwarding(t, b, s)

	testenv.ExpectGet(t, base+"/healthz", 200)
	testenv.ExpectGet(t, base+"/readyz", 200)
	var metrics string
	testenv.Eventually(t, "the route's filtered and ok deliveries on /metrics", 10*time.Second, func() bool {
		metrics = testenv.ExpectGet(t, base+"/metrics", 200)
		return strings.Contains(metrics, `millrace_handler_deliveries_total{handler="fwd-`+s+`",outcome="ok",topic="`+s+`.in"} 5`) &&
			strings.Contains(metrics, `millrace_handler_deliveries_total{handler="fwd-`+s+`",outcome="filtered",topic="`+s+`.in"} 8`)
	})

	if code := p.stop(t); code != ExitOK {
		t.Errorf("exit %d after cancel, want 0; stderr:\n%s", code, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "routes stopped") {
		t.Errorf("no clean stop logged:\n%s", p.stderr.String())
	}
}

// TestRoutesForwardsOnRedis runs `millrace routes` as a separate bus on Redis Streams,
// connecting through the topology itself, while the test publishes and reads on its own.
func TestRoutesForwardsOnRedis(t *testing.T) {
	addr := testenv.Redis(t)
	s := "r" + randomName(t)
	line := fmt.Sprintf("{kind: redisstream, addr: %q}", addr)
	file := routesTopology(t, s, line)
	tr := transporttest.Parse(t, "tr", line)
	t.Cleanup(func() {
		testenv.DropTopic(t, tr, s+".in", "fwd-"+s)
		testenv.DropTopic(t, tr, s+".out", "probe-"+s)
	})
	b := openTestBus(t, file)
	p := startRoutes(t, []string{"--topology", file})
	checkForwarding(t, b, s)
	if code := p.stop(t); code != ExitOK {
		t.Errorf("exit %d after cancel, want 0; stderr:\n%s", code, p.stderr.String())
	}
}

func TestRoutesUnknownRouteIsAUsageError(t *testing.T) {
	file := writeFile(t, "topology.yaml", `version: 1
transports:
  mem: {kind: gochannel}
topics:
  orders.in: {transport: mem}
  orders.out: {transport: mem}
  orders.big: {transport: mem}
routes:
  out: {from: orders.in, to: orders.out}
  big: {from: orders.in, to: orders.big, filter: {data: {total: [{numeric: [">", 1000]}]}}}
`)
	code, _, stderr := runCLI(t, "routes", "--topology", file, "--route", "out", "--route", "nope")
	if code != ExitUsage {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitUsage, stderr)
	}
	if !strings.Contains(stderr, `--route "nope": not a route of `+file+` (its routes: out, big)`) {
		t.Errorf("stderr does not name the unknown route and the known ones:\n%s", stderr)
	}
}

func TestRoutesWithoutRoutesFails(t *testing.T) {
	file := writeFile(t, "topology.yaml", `version: 1
transports:
  mem: {kind: gochannel}
topics:
  orders.in: {transport: mem}
`)
	code, _, stderr := runCLI(t, "routes", "--topology", file)
	if code != ExitFailure || !strings.Contains(stderr, "has no routes") {
		t.Errorf("exit %d, want %d with no routes reported; stderr:\n%s", code, ExitFailure, stderr)
	}
}

func TestRoutesHelpDocumentsTheCommand(t *testing.T) {
	out := mustRun(t, "routes", "--help")
	for _, want := range []string{"--route", "--http-addr", "/metrics", "/readyz", "SIGTERM", "exit 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
}
