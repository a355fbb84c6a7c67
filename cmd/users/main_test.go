package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/examples/registration/users"
	"github.com/millrace/millrace/internal/testenv"
)

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-no-such-flag"}, {"-log-level", "loud"}, {"-outbox-poll", "soon"}} {
		var stderr testenv.Buffer
		if code := run(context.Background(), args, func(string) string { return "" }, &stderr, nil); code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr %s", args, code, stderr.String())
		}
	}
}

func TestTopologyWithoutOutboxFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mem.yaml")
	err := os.WriteFile(file, []byte(`version: 1
transports:
  memory: {kind: gochannel}
topics:
  users.registered: {transport: memory}
  users.verified:   {transport: memory}
handlers:
  update-user-stats: {topic: "users.*"}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr testenv.Buffer
	code := run(ctx, []string{"-topology", file, "-http-addr", "127.0.0.1:0"}, func(string) string { return "" }, &stderr, nil)
	if code != 1 || !strings.Contains(stderr.String(), "no outbox") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr.String())
	}
}

// TestServesAndShutsDown runs the binary on a PostgreSQL-only topology: a registration
// is stored, its event relayed through the outbox and counted by the stats handler, and
// cancelling the context (SIGTERM) ends run with exit 0.
func TestServesAndShutsDown(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	file := filepath.Join(t.TempDir(), "pg.yaml")
	err := os.WriteFile(file, []byte(fmt.Sprintf(`version: 1
transports:
  pg: {kind: sql, dialect: postgres, dsn: %q, poll_interval: 20ms}
topics:
  users.registered: {transport: pg, outbox: pg}
  users.verified:   {transport: pg, outbox: pg}
handlers:
  update-user-stats: {topic: "users.*"}
`, dsn)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MILLRACE_TOPOLOGY": file, "MILLRACE_HTTP_ADDR": "127.0.0.1:0"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan *users.Users, 1)
	done := make(chan int, 1)
	var stderr testenv.Buffer
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, &stderr, func(u *users.Users) { ready <- u })
	}()
	var base string
	select {
	case u := <-ready:
		base = "http://" + u.HTTP.Addr()
	case code := <-done:
		t.Fatalf("exit %d before listening:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "url="+base+" ") {
		t.Errorf("the log does not name the URL %s the service is reached at:\n%s", base, stderr.String())
	}
	resp, err := http.Post(base+"/users", "application/json", strings.NewReader(`{"email":"a@example.com","name":"A","password":"0123456789"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d", resp.StatusCode)
	}
	var (
		totalUsers int
		decodeErr  error
	)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last /stats: total_users %d, decode error %v", totalUsers, decodeErr)
		}
	})
	testenv.Eventually(t, "total_users 1 on /stats", 30*time.Second, func() bool {
		resp, err := http.Get(base + "/stats")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st struct {
			TotalUsers int `json:"total_users"`
		}
		decodeErr = json.NewDecoder(resp.Body).Decode(&st)
		totalUsers = st.TotalUsers
		return decodeErr == nil && totalUsers == 1
	})
	for path, want := range map[string][]string{
		"/healthz": nil,
		"/readyz":  {`"status":"ready"`, `"transport:pg":"ok"`, `"database:users":"ok"`},
		"/metrics": {`millrace_outbox_relayed_total{outbox="outbox"} 1`, `millrace_handler_deliveries_total{handler="update-user-stats"`},
	} {
		testenv.ExpectGet(t, base+path, http.StatusOK, want...)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after shutdown, want 0:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no shutdown")
	}
}
