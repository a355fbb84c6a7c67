package registration_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/examples/registration"
	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/setup"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// profile builds the transports section of a test topology and names the transport of
// the event topics and of the outbox.
type profile struct {
	name string
	// transports returns the YAML of the transports section (indented two spaces).
	transports func(t testing.TB) string
	bus        string
	outbox     string
	// embedded, when set, names an embedded profile used instead of transports: its YAML
	// with the test's topic prefix and databases (see embeddedTopology).
	embedded string
}

var profiles = []profile{
	{"local", func(t testing.TB) string {
		return fmt.Sprintf("  memory: {kind: gochannel}\n  db: {kind: sql, dialect: sqlite, dsn: %q}\n",
			filepath.Join(t.TempDir(), "users.db"))
	}, "memory", "db", ""},
	{"postgres+rabbitmq", func(t testing.TB) string {
		return fmt.Sprintf("  rabbit: {kind: amqp, url: %q, durable: false}\n  pg: {kind: sql, dialect: postgres, dsn: %q}\n",
			testenv.RabbitMQ(t), testenv.PostgresSchema(t))
	}, "rabbit", "pg", ""},
	{"postgres+redis", func(t testing.TB) string {
		return fmt.Sprintf("  redis: {kind: redisstream, addr: %q, block_time: 20ms}\n  pg: {kind: sql, dialect: postgres, dsn: %q}\n",
			testenv.Redis(t), testenv.PostgresSchema(t))
	}, "redis", "pg", ""},
	{"postgres", func(t testing.TB) string {
		return fmt.Sprintf("  pg: {kind: sql, dialect: postgres, dsn: %q, poll_interval: 20ms}\n", testenv.PostgresSchema(t))
	}, "pg", "pg", ""},
}

// stack is a running users service and mailer on a test topology.
type stack struct {
	t      testing.TB
	prefix string
	app    *registration.App
	base   string
	smtp   *smtpServer
	topo   *topology.Topology
	cancel context.CancelFunc
	done   chan error
	// stop stops the services and closes everything; it is idempotent.
	stop func()
}

// options tune a stack.
type options struct {
	maxAttempts int
	// concurrency of send-verification-email (default 2).
	concurrency int
	// noRelay leaves the outbox relay stopped.
	noRelay bool
	// restartOf, when set, runs on the topology, topic prefix and SMTP server of an
	// earlier stack (stopped with stop), as a restarted process would.
	restartOf *stack
	// trace keeps a delivery log in the outbox's database (trace: {store: OUTBOX}).
	trace bool
	// logger, when set, receives the services' logs (default testLogger).
	logger *slog.Logger
}

// randomPrefix returns a topic prefix no other run uses.
func randomPrefix(t testing.TB) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "t" + hex.EncodeToString(b) + "."
}

// testTopology returns the topology of p with unique topic names.
func testTopology(t testing.TB, p profile, prefix string, o options) *topology.Topology {
	t.Helper()
	if p.embedded != "" {
		return embeddedTopology(t, p.embedded, prefix)
	}
	y := "version: 1\ntransports:\n" + p.transports(t) + strings.NewReplacer("P.", prefix, "BUS", p.bus, "OUTBOX", p.outbox,
		"ATTEMPTS", fmt.Sprint(o.maxAttempts), "CONCURRENCY", fmt.Sprint(o.concurrency)).Replace(`topics:
  P.users.registered: {transport: BUS, outbox: OUTBOX}
  P.users.verified:   {transport: BUS, outbox: OUTBOX}
  P.mail.sent:        {transport: BUS}
defaults:
  timeout: 20s
  retry: {max_attempts: ATTEMPTS, initial_interval: 20ms, max_interval: 100ms, multiplier: 2}
  poison: {topic: "{topic}.poison"}
handlers:
  send-verification-email: {topic: P.users.registered, concurrency: CONCURRENCY}
  send-welcome-email:      {topic: P.users.verified}
  update-user-stats:       {topic: "P.users.*"}
`)
	if o.trace {
		y += "trace: {store: " + p.outbox + "}\n"
	}
	topo, err := topology.Parse(p.name+".yaml", []byte(y))
	if err != nil {
		t.Fatalf("topology:\n%s\n%v", y, err)
	}
	return topo
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() && os.Getenv("MILLRACE_TEST_LOGS") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// startStack builds and runs the services of profile p; everything stops when the test
// ends.
func startStack(t testing.TB, p profile, o options) *stack {
	t.Helper()
	if o.maxAttempts == 0 {
		o.maxAttempts = 5
	}
	if o.concurrency == 0 {
		o.concurrency = 2
	}
	var st *stack
	if prev := o.restartOf; prev != nil {
		st = &stack{t: t, prefix: prev.prefix, smtp: prev.smtp, topo: prev.topo, done: make(chan error, 1)}
	} else {
		prefix := randomPrefix(t)
		topo := testTopology(t, p, prefix, o)
		cleanupBrokers(t, topo)
		st = &stack{t: t, prefix: prefix, smtp: startSMTP(t), topo: topo, done: make(chan error, 1)}
	}
	prefix, topo := st.prefix, st.topo
	s := registration.Settings{
		HTTPAddr:    "127.0.0.1:0",
		SMTPAddr:    st.smtp.addr,
		From:        "millrace <no-reply@example.com>",
		PublicURL:   "http://users.example.test",
		TopicPrefix: prefix,
		OutboxTopic: strings.TrimSuffix(prefix, ".") + "_outbox",
		OutboxPoll:  10 * time.Millisecond,
		TokenTTL:    time.Hour,
		Argon2:      account.Argon2Params{Time: 1, Memory: 64, Threads: 1},
	}
	sender, err := setup.ProvideSMTP(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logger := o.logger
	if logger == nil {
		logger = testLogger(t)
	}
	app, cleanup, err := registration.Build(ctx, topo, s, sender, logger)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	st.app, st.cancel = app, cancel
	st.base = "http://" + app.Users.HTTP.Addr()
	runners := []func(context.Context) error{app.Users.HTTP.Run, app.Users.Router.Run, app.Mailer.Run}
	if !o.noRelay {
		runners = append(runners, app.Users.Relay.Run)
	}
	go func() {
		var wg sync.WaitGroup
		errs := make(chan error, len(runners))
		for _, r := range runners {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- r(ctx) }()
		}
		wg.Wait()
		close(errs)
		var first error
		for err := range errs {
			if err != nil && first == nil {
				first = err
			}
		}
		st.done <- first
	}()
	var once sync.Once
	st.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-st.done:
				if err != nil {
					t.Errorf("services stopped with %v", err)
				}
			case <-time.After(60 * time.Second):
				t.Errorf("services did not stop")
			}
			cleanup()
		})
	}
	t.Cleanup(st.stop)
	<-app.Users.Router.Running()
	<-app.Mailer.Router.Running()
	return st
}

// consume subscribes the test consumer group group to topic (without the prefix) and
// passes each message to fn, then acks it, until the test ends.
func (st *stack) consume(group, topic string, fn func(*message.Message)) {
	st.t.Helper()
	sub, err := st.app.Bus.NewSubscriber(group)
	if err != nil {
		st.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := sub.Subscribe(ctx, st.prefix+topic)
	if err != nil {
		cancel()
		st.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m := range ch {
			fn(m)
			m.Ack()
		}
	}()
	st.t.Cleanup(func() {
		cancel()
		_ = sub.Close()
		<-done
	})
}

// observe subscribes a test consumer group to topic (without the prefix) and returns
// a function that lists what arrived so far.
func (st *stack) observe(topic string) func() []*message.Message {
	st.t.Helper()
	var (
		mu   sync.Mutex
		msgs []*message.Message
	)
	st.consume("observer", topic, func(m *message.Message) {
		mu.Lock()
		msgs = append(msgs, m)
		mu.Unlock()
	})
	return func() []*message.Message {
		mu.Lock()
		defer mu.Unlock()
		return append([]*message.Message(nil), msgs...)
	}
}

// register posts a registration with correlation id cid and returns the response and
// its decoded body.
func (st *stack) register(email, name, password, cid string) (*http.Response, map[string]any) {
	st.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "name": name, "password": password})
	return st.do(http.MethodPost, "/users", string(body), cid)
}

func (st *stack) do(method, path, body, cid string) (*http.Response, map[string]any) {
	st.t.Helper()
	req, err := http.NewRequest(method, st.base+path, strings.NewReader(body))
	if err != nil {
		st.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if cid != "" {
		req.Header.Set("X-Correlation-ID", cid)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		st.t.Fatal(err)
	}
	var m map[string]any
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(data, &m); err != nil {
			st.t.Fatalf("%s %s: body %q: %v", method, path, data, err)
		}
	} else {
		m = map[string]any{"html": string(data)}
	}
	return resp, m
}

// stats reads GET /stats.
func (st *stack) stats() (total, active float64) {
	st.t.Helper()
	_, m := st.do(http.MethodGet, "/stats", "", "")
	total, _ = m["total_users"].(float64)
	active, _ = m["active_users"].(float64)
	return total, active
}

// linkPath returns the path and query of the verification link in body.
func (st *stack) linkPath(body string) string {
	st.t.Helper()
	const base = "http://users.example.test"
	i := strings.Index(body, base+"/users/verify?token=")
	if i < 0 {
		st.t.Fatalf("no verification link in %q", body)
	}
	link := body[i+len(base):]
	if j := strings.IndexAny(link, " \r\n"); j >= 0 {
		link = link[:j]
	}
	return link
}

// correlationIDs returns the correlation ids of msgs.
func correlationIDs(msgs []*message.Message) []string {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = event.CorrelationID(m)
	}
	return ids
}

var (
	postgresDSNRef = regexp.MustCompile(`\$\{MILLRACE_POSTGRES_DSN:-[^}]*\}`)
	sqlitePathRef  = regexp.MustCompile(`\$\{MILLRACE_SQLITE_PATH:-[^}]*\}`)
	topicNames     = regexp.MustCompile(`\b(users|mail|chat)\.`)
)

// embeddedTopology returns the embedded profile name as shipped, except that every
// topic gets prefix (so runs never share queues or streams), PostgreSQL is a fresh
// schema and SQLite a temporary file.
func embeddedTopology(t testing.TB, name, prefix string) *topology.Topology {
	t.Helper()
	data, err := config.Profile(name)
	if err != nil {
		t.Fatal(err)
	}
	y := string(data)
	if postgresDSNRef.MatchString(y) {
		y = postgresDSNRef.ReplaceAllLiteralString(y, testenv.PostgresSchema(t))
	}
	y = sqlitePathRef.ReplaceAllLiteralString(y, filepath.Join(t.TempDir(), "users.db"))
	y = topicNames.ReplaceAllString(y, prefix+"$1.")
	topo, err := topology.Parse(name+".yaml", []byte(y))
	if err != nil {
		t.Fatalf("profile %s:\n%s\n%v", name, y, err)
	}
	return topo
}
