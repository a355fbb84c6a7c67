package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/health"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

// wait bounds every wait for a condition.
const wait = 30 * time.Second

// get returns the status and decoded report of GET url.
func get(t *testing.T, url string) (int, health.Report) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var rep health.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("GET %s: body %q: %v", url, body, err)
	}
	return resp.StatusCode, rep
}

// waitStatus polls url until it answers status, and returns that report.
func waitStatus(t *testing.T, url string, status int) health.Report {
	t.Helper()
	var (
		code   int
		rep    health.Report
		waited bool
	)
	t.Cleanup(func() {
		if t.Failed() && !waited {
			t.Logf("GET %s: still %d (%+v) after %s, want %d", url, code, rep, wait, status)
		}
	})
	testenv.Eventually(t, fmt.Sprintf("GET %s to answer %d", url, status), wait, func() bool {
		code, rep = get(t, url)
		return code == status
	})
	waited = true
	return rep
}

func serve(t *testing.T, h *health.Health) string {
	t.Helper()
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestReadyzFollowsACheck(t *testing.T) {
	var down atomic.Bool
	h, err := health.New(health.Config{Timeout: time.Second},
		health.Check{Name: "database:users", Func: func(context.Context) error {
			if down.Load() {
				return errors.New("connection refused")
			}
			return nil
		}},
		health.Check{Name: "always", Func: func(context.Context) error { return nil }},
	)
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, h)

	if code, _ := get(t, url+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}
	code, rep := get(t, url+"/readyz")
	if code != http.StatusOK || rep.Status != health.StatusReady || rep.Checks["database:users"] != health.CheckOK || rep.Checks["always"] != health.CheckOK {
		t.Errorf("/readyz = %d %+v, want 200 ready with both checks ok", code, rep)
	}

	down.Store(true)
	code, rep = get(t, url+"/readyz")
	if code != http.StatusServiceUnavailable || rep.Status != health.StatusNotReady ||
		strings.Join(rep.Failing, ",") != "database:users" || !strings.Contains(rep.Checks["database:users"], "refused") ||
		rep.Checks["always"] != health.CheckOK {
		t.Errorf("/readyz with the database down = %d %+v, want 503 naming database:users only", code, rep)
	}
	if code, _ := get(t, url+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with the database down = %d, want 200 (alive)", code)
	}

	down.Store(false)
	if code, rep := get(t, url+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after the database returned = %d %+v, want 200", code, rep)
	}

	h.Drain()
	if code, rep := get(t, url+"/readyz"); code != http.StatusServiceUnavailable || strings.Join(rep.Failing, ",") != "shutdown" {
		t.Errorf("/readyz while draining = %d %+v, want 503 naming shutdown", code, rep)
	}
}

func TestCheckTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	h, err := health.New(health.Config{Timeout: 50 * time.Millisecond},
		health.Check{Name: "stuck", Func: func(context.Context) error { <-release; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	rep := h.Ready(context.Background())
	if rep.Status != health.StatusNotReady || !strings.Contains(rep.Checks["stuck"], "no answer") {
		t.Errorf("report with a check that ignores its context: %+v, want not ready, stuck timed out", rep)
	}
}

func TestAddRejectsBadChecks(t *testing.T) {
	ok := func(context.Context) error { return nil }
	_, err := health.New(health.Config{}, health.Check{Name: "a", Func: ok}, health.Check{Name: "a", Func: ok},
		health.Check{Func: ok}, health.Check{Name: "b"})
	if err == nil {
		t.Fatal("New accepted bad checks")
	}
	for _, want := range []string{`"a" added twice`, "no name", `"b" has no func`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
}

// proxy forwards TCP connections to target until stopped; start listens again on the
// same address.
type proxy struct {
	t      *testing.T
	addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, addr: "127.0.0.1:0", target: target}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start() {
	p.t.Helper()
	var ln net.Listener
	var err error
	listened := false
	p.t.Cleanup(func() {
		if p.t.Failed() && !listened {
			p.t.Logf("proxy listen %s: %v", p.addr, err)
		}
	})
	testenv.Eventually(p.t, "proxy listening on "+p.addr, wait, func() bool {
		ln, err = net.Listen("tcp", p.addr)
		return err == nil
	})
	listened = true
	p.mu.Lock()
	p.ln = ln
	p.addr = ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
}

// stop closes the listener and every forwarded connection: the broker is gone.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// TestReadyzFollowsTheBroker points a Redis transport at a proxy of the test Redis,
// stops the proxy and starts it again: /readyz turns 503 naming the transport, then
// 200 again, while the in-memory transport stays ok.
func TestReadyzFollowsTheBroker(t *testing.T) {
	p := newProxy(t, testenv.Redis(t))
	topo := &topology.Topology{
		Transports: map[string]*topology.Transport{
			"mem":   transporttest.Parse(t, "mem", "{kind: gochannel}"),
			"redis": transporttest.Parse(t, "redis", fmt.Sprintf("{kind: redisstream, addr: %q}", p.addr)),
		},
		Topics: []*topology.Topic{{Name: "a", Transport: "mem"}, {Name: "b", Transport: "redis"}},
	}
	b, err := bus.Open(topo, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	h, err := health.New(health.Config{Timeout: time.Second}, health.TransportChecks(b)...)
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, h) + "/readyz"

	rep := waitStatus(t, url, http.StatusOK)
	if rep.Checks["transport:redis"] != health.CheckOK || rep.Checks["transport:mem"] != health.CheckOK {
		t.Errorf("ready report %+v, want both transports ok", rep)
	}

	p.stop()
	rep = waitStatus(t, url, http.StatusServiceUnavailable)
	if strings.Join(rep.Failing, ",") != "transport:redis" || !strings.Contains(rep.Checks["transport:redis"], `"redis"`) ||
		rep.Checks["transport:mem"] != health.CheckOK {
		t.Errorf("report with Redis gone: %+v, want only transport:redis failing", rep)
	}

	p.start()
	rep = waitStatus(t, url, http.StatusOK)
	if rep.Status != health.StatusReady || len(rep.Failing) != 0 {
		t.Errorf("report after Redis returned: %+v, want ready", rep)
	}
}

// TestReadyzUnreachableTransport checks a transport that never answers.
func TestReadyzUnreachableTransport(t *testing.T) {
	topo := &topology.Topology{
		Transports: map[string]*topology.Transport{
			"dead": transporttest.Parse(t, "dead", `{kind: redisstream, addr: "127.0.0.1:1"}`),
		},
		Topics: []*topology.Topic{{Name: "b", Transport: "dead"}},
	}
	b, err := bus.Open(topo, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	h, err := health.New(health.Config{Timeout: time.Second}, health.TransportChecks(b)...)
	if err != nil {
		t.Fatal(err)
	}
	code, rep := get(t, serve(t, h)+"/readyz")
	if code != http.StatusServiceUnavailable || strings.Join(rep.Failing, ",") != "transport:dead" {
		t.Errorf("/readyz = %d %+v, want 503 naming transport:dead", code, rep)
	}
}

// TestCachedRunsOncePerTTL checks that a cached check keeps its result, a failure
// included, for its ttl, and runs again once the ttl has passed.
func TestCachedRunsOncePerTTL(t *testing.T) {
	var runs atomic.Int32
	fail := errors.New("smtp down")
	check := func(context.Context) error { runs.Add(1); return fail }
	c := health.Cached(health.Check{Name: "smtp", Func: check}, time.Hour)
	for range 3 {
		if err := c.Func(context.Background()); !errors.Is(err, fail) {
			t.Fatalf("cached check returned %v, want %v", err, fail)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("%d runs within the ttl, want 1", n)
	}
	runs.Store(0)
	c = health.Cached(health.Check{Name: "smtp", Func: check}, time.Nanosecond)
	for range 3 {
		_ = c.Func(context.Background())
	}
	if n := runs.Load(); n != 3 {
		t.Errorf("%d runs with an expired ttl, want 3", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	runs.Store(0)
	c = health.Cached(health.Check{Name: "smtp", Func: check}, time.Hour)
	_ = c.Func(ctx)
	_ = c.Func(context.Background())
	if n := runs.Load(); n != 2 {
		t.Errorf("%d runs, want 2: a run whose caller gave up is not kept", n)
	}
	ctx, cancel = context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	runs.Store(0)
	c = health.Cached(health.Check{Name: "smtp", Func: check}, time.Hour)
	_ = c.Func(ctx)
	_ = c.Func(context.Background())
	if n := runs.Load(); n != 1 {
		t.Errorf("%d runs, want 1: a run that timed out is kept", n)
	}
}
