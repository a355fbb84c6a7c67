package registration_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/testenv"
)

// startupRounds is how many times each dialect starts its services together on a new
// database.
const startupRounds = 10

// TestServicesStartTogetherOnAFreshDatabase starts four processes of different services
// (two users services, the mailer and a chat instance) at the same instant on an empty
// database, ten rounds per dialect, and requires every one of them to become ready: each
// one creates the schema of its stores (users, processed messages, chat history, delivery
// log, outbox, topic tables) while the others do the same.
func TestServicesStartTogetherOnAFreshDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the service binaries")
	}
	bin := buildBinaries(t, "users", "mailer", "chat")
	smtp := startSMTP(t)
	for _, d := range []struct {
		name string
		// database returns the topology's transports section, the transport of the
		// outbox and the users database DSN of a new, empty database.
		database func(t *testing.T) (transports, outbox, usersDSN string)
	}{
		{"postgres", freshPostgres},
		{"mysql", freshMySQL},
		{"sqlite", freshSQLite},
	} {
		t.Run(d.name, func(t *testing.T) {
			for round := range startupRounds {
				transports, outbox, usersDSN := d.database(t)
				topo := filepath.Join(t.TempDir(), "topology.yaml")
				if err := os.WriteFile(topo, []byte(startupTopology(transports, outbox)), 0o644); err != nil {
					t.Fatal(err)
				}
				env := []string{
					"MILLRACE_TOPOLOGY=" + topo,
					"MILLRACE_DATABASE_DSN=" + usersDSN,
					"MILLRACE_SMTP_ADDR=" + smtp.addr,
					"MILLRACE_CHAT_HISTORY=" + map[bool]string{true: "db", false: "memory"}[d.name == "postgres"],
					"MILLRACE_LOG_LEVEL=warn",
				}
				startTogether(t, round, env, bin["users"], bin["users"], bin["mailer"], bin["chat"])
			}
		})
	}
}

// startupTopology puts every topic of both examples on the transport "db", the users
// events through the outbox transport, and the delivery log in the database of "db".
func startupTopology(transports, outbox string) string {
	return `version: 1
transports:
` + transports + `
topics:
  users.registered: {transport: db, outbox: ` + outbox + `}
  users.verified:   {transport: db, outbox: ` + outbox + `}
  mail.sent:        {transport: db}
  chat.messages:    {transport: db, delivery: broadcast}
  chat.presence:    {transport: db, delivery: broadcast}
handlers:
  send-verification-email: {topic: users.registered}
  send-welcome-email:      {topic: users.verified}
  update-user-stats:       {topic: "users.*"}
  chat-fanout:             {topic: "chat.*"}
trace: {store: db}
`
}

func freshPostgres(t *testing.T) (string, string, string) {
	dsn := testenv.PostgresSchema(t)
	return fmt.Sprintf("  db: {kind: sql, dialect: postgres, dsn: %q, poll_interval: 20ms}", dsn), "db", dsn
}

// freshMySQL creates a new MariaDB database for the topics and the delivery log. The
// users store is PostgreSQL or SQLite only, so the users database is a new SQLite file,
// with the outbox in it: the outbox is the users database.
func freshMySQL(t *testing.T) (string, string, string) {
	dsn := testenv.MySQLDatabase(t)
	users := filepath.Join(t.TempDir(), "users.db")
	return fmt.Sprintf("  db: {kind: sql, dialect: mysql, dsn: %q, poll_interval: 20ms}\n  users: {kind: sql, dialect: sqlite, dsn: %q}", dsn, users), "users", users
}

func freshSQLite(t *testing.T) (string, string, string) {
	file := filepath.Join(t.TempDir(), "millrace.db")
	return fmt.Sprintf("  db: {kind: sql, dialect: sqlite, dsn: %q, poll_interval: 20ms}", file), "db", file
}

// buildBinaries builds each command under cmd/ once for the test.
func buildBinaries(t *testing.T, names ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	out := map[string]string{}
	args := []string{"build", "-o", dir + "/"}
	for _, n := range names {
		args = append(args, "../../cmd/"+n)
		out[n] = filepath.Join(dir, n)
	}
	if b, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// startTogether starts every binary at once with env, each on its own port, and waits
// until every one answers /readyz with 200; a process that exits first fails the test
// with its output. All are stopped with SIGTERM at the end.
func startTogether(t *testing.T, round int, env []string, binaries ...string) {
	t.Helper()
	type proc struct {
		cmd  *exec.Cmd
		addr string
		out  testenv.Buffer
		// started is closed once Start returned; cmd.Process is set then.
		started chan struct{}
		exited  chan error
	}
	procs := make([]*proc, len(binaries))
	for i, bin := range binaries {
		p := &proc{addr: freeAddr(t), started: make(chan struct{}), exited: make(chan error, 1)}
		p.cmd = exec.Command(bin)
		p.cmd.Env = append(append(os.Environ(), env...), "MILLRACE_HTTP_ADDR="+p.addr)
		p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
		procs[i] = p
	}
	var start sync.WaitGroup
	start.Add(1)
	var started sync.WaitGroup
	for _, p := range procs {
		started.Add(1)
		go func() {
			defer started.Done()
			start.Wait()
			err := p.cmd.Start()
			close(p.started)
			if err != nil {
				p.exited <- err
				return
			}
			p.exited <- p.cmd.Wait()
		}()
	}
	start.Done()
	defer func() {
		for _, p := range procs {
			<-p.started
			if p.cmd.Process != nil {
				_ = p.cmd.Process.Signal(syscall.SIGTERM)
			}
		}
		started.Wait()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i, p := range procs {
		name := filepath.Base(binaries[i])
		for {
			if ready(ctx, p.addr) {
				break
			}
			select {
			case err := <-p.exited:
				p.exited <- err
				t.Fatalf("round %d: %s exited before it was ready (%v):\n%s", round, name, err, p.out.String())
			case <-ctx.Done():
				t.Fatalf("round %d: %s not ready within 60s:\n%s", round, name, p.out.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func ready(ctx context.Context, addr string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, (&url.URL{Scheme: "http", Host: addr, Path: "/readyz"}).String(), nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
