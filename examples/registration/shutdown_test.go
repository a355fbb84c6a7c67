package registration_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/millrace/millrace/examples/registration"
	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/examples/registration/mailer"
	"github.com/millrace/millrace/examples/registration/setup"
	"github.com/millrace/millrace/examples/registration/users"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// process is one service assembled as its binary does (its own observability, bus and
// users database connection), running until stop.
type process struct {
	cancel context.CancelFunc
	done   chan error
	close  []func()
	once   sync.Once
}

// stop cancels the process's context (as SIGTERM does), waits for its Run to return
// and closes everything in reverse order. It returns Run's error.
func (p *process) stop() error {
	var err error
	p.once.Do(func() {
		p.cancel()
		select {
		case err = <-p.done:
		case <-time.After(60 * time.Second):
			err = errors.New("did not stop within 60s")
		}
		for i := len(p.close) - 1; i >= 0; i-- {
			p.close[i]()
		}
	})
	return err
}

// serviceParts opens what cmd/users and cmd/mailer open before their own parts.
func serviceParts(t testing.TB, ctx context.Context, name observability.ServiceName, topo *topology.Topology, s registration.Settings, p *process) (*observability.Observability, *registration.App) {
	t.Helper()
	logger := testLogger(t).With("process", string(name))
	o, closeObs, err := observability.Provide(ctx, name, topo, logger)
	if err != nil {
		t.Fatal(err)
	}
	p.close = append(p.close, closeObs)
	b, closeBus, err := observability.ProvideBus(topo, o, logger)
	if err != nil {
		t.Fatal(err)
	}
	p.close = append(p.close, closeBus)
	store, closeStore, err := setup.ProvideStore(ctx, topo, s, logger)
	if err != nil {
		t.Fatal(err)
	}
	p.close = append(p.close, closeStore)
	record, err := setup.ProvideRecord(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := setup.ProvideOutbox(ctx, store, s, o, logger)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := setup.ProvideService(store, ob, s)
	if err != nil {
		t.Fatal(err)
	}
	return o, &registration.App{Obs: o, Bus: b, Store: store, Record: record, Outbox: ob, Service: svc}
}

// startUsersProcess runs the users service as cmd/users does.
func startUsersProcess(t testing.TB, topo *topology.Topology, s registration.Settings) (*users.Users, *process) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &process{cancel: cancel, done: make(chan error, 1)}
	t.Cleanup(func() { _ = p.stop() })
	o, a := serviceParts(t, ctx, "users", topo, s, p)
	u, closeUsers, err := users.New(s, topo, a.Bus, a.Service, a.Record, a.Outbox, a.Store, o, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	p.close = append(p.close, closeUsers)
	go func() { p.done <- u.Run(ctx) }()
	<-u.Router.Running()
	<-u.Relay.Running()
	return u, p
}

// startMailerProcess runs the mailer as cmd/mailer does, with its HTTP server.
func startMailerProcess(t testing.TB, topo *topology.Topology, s registration.Settings, sender mail.Sender) (*mailer.Mailer, *process) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &process{cancel: cancel, done: make(chan error, 1)}
	t.Cleanup(func() { _ = p.stop() })
	o, a := serviceParts(t, ctx, "mailer", topo, s, p)
	m, closeMailer, err := mailer.Provide(s, topo, a.Bus, a.Service, a.Record, a.Store, sender, o, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	p.close = append(p.close, closeMailer)
	go func() { p.done <- m.Run(ctx) }()
	select {
	case <-m.Router.Running():
	case err := <-p.done:
		t.Fatalf("mailer stopped before consuming: %v", err)
	}
	return m, p
}

// gatedSender passes emails to next; once held, the next email it is given waits
// (whatever its context) until release, as a slow SMTP server would keep a handler busy.
type gatedSender struct {
	next    mail.Sender
	armed   atomic.Bool
	holding chan string // receives the recipient of the email being held
	release chan struct{}
}

func (g *gatedSender) hold() { g.armed.Store(true) }

func (g *gatedSender) Send(ctx context.Context, m mail.Message) error {
	if g.armed.CompareAndSwap(true, false) {
		g.holding <- m.To
		<-g.release
		ctx = context.WithoutCancel(ctx)
	}
	return g.next.Send(ctx, m)
}

// TestMailerRestartUnderLoad runs users and mailer as separate processes on PostgreSQL
// and Redis Streams while registrations keep arriving. The mailer is stopped (as by
// SIGTERM) with a handler in the middle of sending an email: /readyz answers "draining"
// while that handler finishes, the mailer exits cleanly, and after a restart every
// accepted registration has exactly one verification email.
func TestMailerRestartUnderLoad(t *testing.T) {
	// postgres+redis, with pending messages claimed after 2s instead of a minute: the
	// messages the stopped mailer had read from the stream but not handled wait that
	// long for the restarted one.
	p := profile{"postgres+redis", func(t testing.TB) string {
		return fmt.Sprintf("  redis: {kind: redisstream, addr: %q, block_time: 20ms, claim_interval: 200ms, min_idle_time: 2s}\n  pg: {kind: sql, dialect: postgres, dsn: %q}\n",
			testenv.Redis(t), testenv.PostgresSchema(t))
	}, "redis", "pg", ""}
	prefix := randomPrefix(t)
	topo := testTopology(t, p, prefix, options{maxAttempts: 5, concurrency: 2})
	cleanupBrokers(t, topo)
	smtpSrv := startSMTP(t)
	s := registration.Settings{
		HTTPAddr:        "127.0.0.1:0",
		SMTPAddr:        smtpSrv.addr,
		From:            "millrace <no-reply@example.com>",
		PublicURL:       "http://users.example.test",
		TopicPrefix:     prefix,
		OutboxTopic:     strings.TrimSuffix(prefix, ".") + "_outbox",
		OutboxPoll:      10 * time.Millisecond,
		TokenTTL:        time.Hour,
		Argon2:          account.Argon2Params{Time: 1, Memory: 64, Threads: 1},
		ShutdownTimeout: 20 * time.Second,
	}
	smtpSender, err := setup.ProvideSMTP(s)
	if err != nil {
		t.Fatal(err)
	}
	gate := &gatedSender{next: smtpSender, holding: make(chan string, 1), release: make(chan struct{})}

	u, usersProc := startUsersProcess(t, topo, s)
	m1, mailer1 := startMailerProcess(t, topo, s, gate)
	base := "http://" + u.HTTP.Addr()

	// Two clients register continuously until stopPosting is closed.
	var (
		mu       sync.Mutex
		accepted []string
		seq      atomic.Int64
	)
	acceptedCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(accepted)
	}
	stopPosting := make(chan struct{})
	var posters sync.WaitGroup
	for range 2 {
		posters.Go(func() {
			for {
				select {
				case <-stopPosting:
					return
				default:
				}
				addr := fmt.Sprintf("load%d@example.com", seq.Add(1))
				body := fmt.Sprintf(`{"email":%q,"name":"Load","password":"0123456789"}`, addr)
				resp, err := http.Post(base+"/users", "application/json", strings.NewReader(body))
				if err != nil {
					t.Errorf("register %s: %v", addr, err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					mu.Lock()
					accepted = append(accepted, addr)
					mu.Unlock()
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	stopLoad := func() {
		select {
		case <-stopPosting:
		default:
			close(stopPosting)
		}
		posters.Wait()
	}
	t.Cleanup(stopLoad)

	testenv.Eventually(t, "10 emails before the stop", flowTimeout, func() bool { return smtpSrv.count() >= 10 })

	// Stop the mailer while one of its handlers is sending.
	gate.hold()
	var held string
	select {
	case held = <-gate.holding:
	case <-time.After(flowTimeout):
		t.Fatal("no email was sent after arming the gate")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mailer1.stop() }()
	readyz := "http://" + m1.HTTP.Addr() + "/readyz"
	testenv.Eventually(t, "/readyz reporting draining", flowTimeout, func() bool {
		resp, err := http.Get(readyz)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var rep struct {
			Checks map[string]string `json:"checks"`
		}
		return resp.StatusCode == http.StatusServiceUnavailable &&
			json.NewDecoder(resp.Body).Decode(&rep) == nil && rep.Checks["shutdown"] == "draining"
	})
	select {
	case err := <-stopped:
		t.Fatalf("mailer stopped with a handler still in flight: %v", err)
	default:
	}
	close(gate.release)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("mailer shutdown: %v", err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("mailer did not stop")
	}
	t.Logf("held the email to %s", held)
	if n := len(smtpSrv.to(held)); n != 1 {
		t.Errorf("the email in flight at shutdown (%s) was sent %d times before the restart, want 1", held, n)
	}

	// Registrations keep arriving while the mailer is down, then it restarts.
	atStop := acceptedCount()
	testenv.Eventually(t, "registrations while the mailer is down", flowTimeout, func() bool { return acceptedCount() >= atStop+5 })
	_, mailer2 := startMailerProcess(t, topo, s, smtpSender)
	afterRestart := acceptedCount()
	testenv.Eventually(t, "registrations after the restart", flowTimeout, func() bool { return acceptedCount() >= afterRestart+5 })
	stopLoad()

	mu.Lock()
	all := append([]string(nil), accepted...)
	mu.Unlock()
	testenv.Eventually(t, fmt.Sprintf("an email for each of %d registrations", len(all)), 2*flowTimeout, func() bool {
		return smtpSrv.count() >= len(all)
	})
	// Stop both, so that no handler is sending while the emails are counted.
	if err := mailer2.stop(); err != nil {
		t.Errorf("mailer shutdown after the restart: %v", err)
	}
	if err := usersProc.stop(); err != nil {
		t.Errorf("users shutdown: %v", err)
	}
	for _, addr := range all {
		if n := len(smtpSrv.to(addr)); n != 1 {
			t.Errorf("%s: %d verification emails, want 1", addr, n)
		}
	}
	if n := smtpSrv.count(); n != len(all) {
		t.Errorf("%d emails for %d accepted registrations", n, len(all))
	}
	t.Logf("%d registrations, %d before the stop, mailer down for %d", len(all), atStop, afterRestart-atStop)
}
