package registration_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/millrace/millrace/handlers/mailer"
	"github.com/millrace/millrace/internal/testenv"
)

// pgCluster is a disposable PostgreSQL server of one test: its own data directory and
// port, so the test may restart it without disturbing anyone else.
type pgCluster struct {
	t    testing.TB
	bin  string // directory of initdb, pg_ctl, postgres
	dir  string // holds data/, the socket and the log
	port int
	// asUser runs the server binaries as the postgres OS user, which they need when the
	// test runs as root.
	asUser string
}

// startPGCluster initdb's a cluster into a temporary directory and starts it on a free
// port. Without PostgreSQL's server binaries the test is skipped, or fails under CI.
func startPGCluster(t testing.TB) *pgCluster {
	t.Helper()
	initdbs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if path, err := exec.LookPath("initdb"); err == nil {
		initdbs = append(initdbs, path)
	}
	if len(initdbs) == 0 {
		testenv.Unavailable(t, "PostgreSQL server binaries (initdb)", errors.New("no initdb in /usr/lib/postgresql/*/bin or PATH"))
	}
	c := &pgCluster{t: t, bin: filepath.Dir(initdbs[len(initdbs)-1])}
	dir, err := os.MkdirTemp("", "millrace-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			testenv.Unavailable(t, "the postgres OS user (initdb refuses to run as root)", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = "postgres"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	c.run("initdb", "-D", c.data(), "-U", "root", "-A", "trust", "-E", "UTF8", "--no-sync")
	if err := c.ctl("start"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop") })
	return c
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// dsn is the cluster's postgres database.
func (c *pgCluster) dsn() string {
	return fmt.Sprintf("postgres://root@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// ctl runs pg_ctl action (start, restart) with the cluster's settings and waits for it.
func (c *pgCluster) ctl(action string) error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir)
	return c.exec("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-m", "fast", "-w", "-o", opts, action)
}

// run runs a server binary and fails the test if it fails.
func (c *pgCluster) run(name string, args ...string) {
	c.t.Helper()
	if err := c.exec(name, args...); err != nil {
		c.t.Fatal(err)
	}
}

func (c *pgCluster) exec(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	if c.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.asUser, "--", filepath.Join(c.bin, name)}, args...)...)
	}
	cmd.Dir = c.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("%s %s: %w\n%s\nserver log:\n%s", name, strings.Join(args, " "), err, out, log)
	}
	return nil
}

// answer is how the API answered one registration.
type answer struct {
	email      string
	status     int
	retryAfter string
}

// TestPostgresRestartSendsEachEmailOnce registers users at 20/s on PostgreSQL and Redis
// while PostgreSQL restarts (pg_ctl restart -m fast). The restart happens while the
// SMTP server accepts one user's verification email, so the commit of that email's
// processed-message record fails after the email went out: every accepted user still
// gets exactly one email, with the Message-ID derived from the event and the handler;
// requests during the outage get 503 with Retry-After, and the API recovers.
func TestPostgresRestartSendsEachEmailOnce(t *testing.T) {
	redis := testenv.Redis(t)
	pg := startPGCluster(t)
	p := profile{name: "postgres-restart", transports: func(testing.TB) string {
		return fmt.Sprintf("  redis: {kind: redisstream, addr: %q, block_time: 20ms}\n  pg: {kind: sql, dialect: postgres, dsn: %q}\n",
			redis, pg.dsn())
	}, bus: "redis", outbox: "pg"}
	// Retries span the outage: up to 100 attempts at most 100ms apart.
	st := startStack(t, p, options{maxAttempts: 100, concurrency: 2})
	registered := st.observe("users.registered")

	var (
		mu      sync.Mutex
		answers []answer
		n       atomic.Int64
	)
	post := func() {
		addr := fmt.Sprintf("u%03d@example.com", n.Add(1))
		body, _ := json.Marshal(map[string]string{"email": addr, "name": "U", "password": "correct horse battery"})
		resp, err := http.Post(st.base+"/users", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Errorf("POST /users: %v", err)
			return
		}
		_ = resp.Body.Close()
		mu.Lock()
		answers = append(answers, answer{addr, resp.StatusCode, resp.Header.Get("Retry-After")})
		mu.Unlock()
	}

	// The verification email of u010 restarts PostgreSQL before the SMTP server
	// accepts it; meanwhile registrations keep coming every 10ms, so some meet the
	// outage.
	const trigger = "u010@example.com"
	restarted := make(chan struct{})
	var once sync.Once
	st.smtp.mu.Lock()
	st.smtp.beforeAccept = func(e email) {
		if e.To != trigger {
			return
		}
		once.Do(func() {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						post()
					}
				}
			}()
			if err := pg.ctl("restart"); err != nil {
				t.Error(err)
			}
			close(stop)
			wg.Wait()
			close(restarted)
		})
	}
	st.smtp.mu.Unlock()

	// 20 registrations a second until a second after the restart.
	tick := time.NewTicker(50 * time.Millisecond)
	deadline := time.After(20 * time.Second)
	var after <-chan time.Time
loop:
	for {
		select {
		case <-tick.C:
			post()
		case <-restarted:
			restarted, after = nil, time.After(time.Second)
		case <-after:
			break loop
		case <-deadline:
			t.Fatal("PostgreSQL was not restarted within 20s: no verification email reached the SMTP server")
		}
	}
	tick.Stop()
	// The API has recovered: a registration after the restart is accepted.
	post()

	mu.Lock()
	defer mu.Unlock()
	accepted := map[string]bool{}
	outage := 0
	for _, a := range answers {
		switch a.status {
		case http.StatusCreated:
			accepted[a.email] = true
		case http.StatusServiceUnavailable:
			outage++
			if a.retryAfter == "" {
				t.Errorf("%s: 503 without Retry-After", a.email)
			}
		default:
			t.Errorf("%s: status %d, want 201 or, during the outage, 503", a.email, a.status)
		}
	}
	if last := answers[len(answers)-1]; last.status != http.StatusCreated {
		t.Fatalf("after the restart the API answered %d, want 201", last.status)
	}
	if outage == 0 {
		t.Error("no request met the outage (no 503): the restart was not observed")
	}
	t.Logf("%d registrations: %d accepted, %d answered 503 during the restart", len(answers), len(accepted), outage)

	// Every user of the database (accepted ones, and maybe some whose commit happened
	// but whose answer was lost in the restart) has a processed record for the
	// verification email; after that no send can happen any more.
	db, err := sql.Open("pgx", pg.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var users, recorded int
	testenv.Eventually(t, "a recorded verification email for every user", 30*time.Second, func() bool {
		err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM processed_messages WHERE handler = $1)`,
			mailer.SendVerificationEmail).Scan(&users, &recorded)
		return err == nil && users >= len(accepted) && recorded == users
	})

	// The Message-ID of each user's email names its users.registered event.
	eventID := map[string]string{}
	testenv.Eventually(t, "every users.registered event at the observer", 30*time.Second, func() bool {
		for _, m := range registered() {
			var ev struct {
				Email string `json:"email"`
			}
			if err := json.Unmarshal(m.Payload, &ev); err == nil {
				eventID[ev.Email] = m.UUID
			}
		}
		return len(eventID) >= users
	})
	for addr := range eventID {
		got := st.smtp.to(addr)
		if len(got) != 1 {
			t.Errorf("%s got %d verification emails, want 1 (accepted: %v)", addr, len(got), accepted[addr])
			continue
		}
		want := "<" + mailer.SendVerificationEmail + "." + eventID[addr] + "@millrace>"
		if got[0].MessageID != want {
			t.Errorf("%s: Message-ID %q, want %q", addr, got[0].MessageID, want)
		}
	}
	for addr := range accepted {
		if _, ok := eventID[addr]; !ok {
			t.Errorf("accepted %s has no users.registered event", addr)
		}
	}
	if got := st.smtp.count(); got != users {
		t.Errorf("the SMTP server accepted %d emails for %d users", got, users)
	}
}
