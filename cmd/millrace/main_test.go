package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/millrace/millrace/config"
)

// runCLI runs the command line and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidateProfiles(t *testing.T) {
	code, stdout, stderr := runCLI(t, append([]string{"topology", "validate"}, config.Profiles()...)...)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, p := range config.Profiles() {
		if !strings.Contains(stdout, p+": ok") {
			t.Errorf("stdout lacks %q:\n%s", p+": ok", stdout)
		}
	}
}

func TestValidateReportsEveryProblemWithPosition(t *testing.T) {
	bad := writeFile(t, "bad.yaml", `version: 1
transports:
  memory: {kind: gochannel}
topics:
  users.registered: {transport: rabit}
  users.verified: {transport: memory, delivery: everyone}
handlers:
  send: {topic: users.registered, concurency: 2}
`)
	code, stdout, stderr := runCLI(t, "topology", "validate", bad)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFailure, stderr)
	}
	if strings.Contains(stdout, "ok") {
		t.Errorf("an invalid file was reported ok:\n%s", stdout)
	}
	for _, want := range []string{
		bad + ":5:33: topics.users.registered.transport:",
		bad + ":6:49: topics.users.verified.delivery:",
		bad + ":8:35: handlers.send.concurency:",
		"1 of 1 topologies invalid",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestExplainRedactsSecrets(t *testing.T) {
	t.Setenv("MILLRACE_AMQP_URL", "amqp://admin:hunter2-secret@broker.internal:5672/")
	t.Setenv("MILLRACE_REDIS_PASSWORD", "redis-pass-42")
	t.Setenv("MILLRACE_POSTGRES_DSN", "postgres://app:pg-pass-99@db.internal:5432/app")
	code, stdout, stderr := runCLI(t, "topology", "explain", "production")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, secret := range []string{"hunter2-secret", "redis-pass-42", "pg-pass-99"} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("explain printed the secret %q:\n%s", secret, stdout)
		}
	}
	for _, want := range []string{"amqp://admin:****@broker.internal:5672/", "users.registered.poison", "send-verification-email"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, stdout)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"nonsense"},
		{"topology", "validate"},
		{"topology", "explain", "a", "b"},
		{"check", "--no-such-flag"},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d; stderr:\n%s", args, code, exitUsage, stderr)
		}
	}
}

func TestCheckLocalProfile(t *testing.T) {
	code, stdout, stderr := runCLI(t, "check", "local")
	if code != exitOK || !strings.Contains(stdout, "memory: ok") || !strings.Contains(stdout, "sqlite: ok") {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestCheckNamesUnreachableTransport: check prints a line for every transport, those
// that answer and those that do not, and names the failing ones in its error.
func TestCheckNamesUnreachableTransport(t *testing.T) {
	file := writeFile(t, "down.yaml", `version: 1
transports:
  cache: {kind: redisstream, addr: "127.0.0.1:1"}
  memory: {kind: gochannel}
topics:
  a.b: {transport: cache}
  c.d: {transport: memory}
`)
	code, stdout, stderr := runCLI(t, "check", "--timeout", "3s", file)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFailure, stderr)
	}
	if !strings.Contains(stdout, "cache: fail: ") || !strings.Contains(stdout, "memory: ok") {
		t.Errorf("stdout lacks a line per transport:\n%s", stdout)
	}
	if !strings.Contains(stderr, "1 of 2 transports do not answer: cache") {
		t.Errorf("stderr does not name the transport:\n%s", stderr)
	}
}

// TestMisspelledProfileSuggestsOne: every command that takes a profile name suggests
// the one a misspelling is close to.
func TestMisspelledProfileSuggestsOne(t *testing.T) {
	for _, args := range [][]string{
		{"topology", "explain", "lcoal"},
		{"check", "lcoal"},
		{"poison", "list", "--topology", "lcoal"},
		{"trace", "x", "--topology", "redsi"},
	} {
		want := `did you mean "local"?`
		if args[0] == "trace" {
			want = `did you mean "redis"?`
		}
		if code, _, stderr := runCLI(t, args...); code != exitFailure || !strings.Contains(stderr, want) {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
	if _, _, stderr := runCLI(t, "topology", "explain", "kafka"); strings.Contains(stderr, "did you mean") {
		t.Errorf("a name close to no profile got a suggestion:\n%s", stderr)
	}
}

// TestExplainShowsSQLitePath: a SQLite file name is not a secret; a password parameter
// of a SQLite URI still is.
func TestExplainShowsSQLitePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "millrace.db")
	t.Setenv("MILLRACE_SQLITE_PATH", path)
	code, stdout, stderr := runCLI(t, "topology", "explain", "local")
	if code != exitOK || !strings.Contains(stdout, "dsn="+path+" ") || !strings.Contains(stdout, "transport sqlite") {
		t.Errorf("exit %d, want the path %s and the trace store:\n%s%s", code, path, stdout, stderr)
	}
	t.Setenv("MILLRACE_SQLITE_PATH", "file:x.db?_auth_pass=hunter2&mode=rwc")
	_, stdout, _ = runCLI(t, "topology", "explain", "local")
	if strings.Contains(stdout, "hunter2") || !strings.Contains(stdout, "dsn=file:x.db?_auth_pass=****&mode=rwc ") {
		t.Errorf("SQLite URI password not masked:\n%s", stdout)
	}
}

func TestGraphDrawsTopicsHandlersAndPoison(t *testing.T) {
	file := writeFile(t, "g.yaml", `version: 1
transports:
  mq: {kind: amqp, url: "amqp://guest:guest@127.0.0.1:5672/"}
  db: {kind: sql, dialect: postgres, dsn: "postgres://root@127.0.0.1/test"}
topics:
  orders.placed: {transport: mq, outbox: db}
  tenant.*.audit: {transport: db}
handlers:
  bill: {topic: orders.placed}
  audit: {topic: tenant.acme.audit}
`)
	code, mermaid, stderr := runCLI(t, "topology", "graph", file)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"flowchart LR",
		`subgraph x_mq["mq (amqp)"]`,
		`subgraph x_db["db (sql)"]`,
		`o_db -- outbox --> t_orders_2e_placed`,
		`t_orders_2e_placed --> h_bill`,
		`h_bill -- poison --> t_orders_2e_placed_2e_poison`,
		// A handler topic served by a pattern entry hangs off the pattern.
		`t_tenant_2e__2a__2e_audit --> h_audit`,
	} {
		if !strings.Contains(mermaid, want) {
			t.Errorf("mermaid lacks %q:\n%s", want, mermaid)
		}
	}

	code, dot, stderr := runCLI(t, "topology", "graph", "--format", "dot", file)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"digraph topology {",
		`label="mq (amqp)";`,
		`o_db [label="db outbox", shape=cylinder];`,
		`h_bill -> t_orders_2e_placed_2e_poison [label="poison"];`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("dot lacks %q:\n%s", want, dot)
		}
	}
	if strings.Count(dot, "{") != strings.Count(dot, "}") {
		t.Errorf("unbalanced braces in dot output:\n%s", dot)
	}

	if code, _, _ := runCLI(t, "topology", "graph", "--format", "svg", file); code != exitUsage {
		t.Errorf("unknown format: exit %d, want %d", code, exitUsage)
	}
}

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if code, _, stderr := runCLI(t, "probe", srv.URL+"/readyz"); code != exitOK {
		t.Errorf("probe of a 200 endpoint: exit %d: %s", code, stderr)
	}
	code, _, stderr := runCLI(t, "probe", srv.URL+"/other")
	if code != exitFailure || !strings.Contains(stderr, "503") {
		t.Errorf("probe of a 503 endpoint: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := runCLI(t, "probe", "--timeout", "500ms", "http://127.0.0.1:1/"); code != exitFailure {
		t.Errorf("probe of a closed port: exit %d, want %d", code, exitFailure)
	}
	// HOST:PORT/PATH without a scheme is http.
	if code, _, stderr := runCLI(t, "probe", strings.TrimPrefix(srv.URL, "http://")+"/readyz"); code != exitOK {
		t.Errorf("probe without a scheme: exit %d: %s", code, stderr)
	}
}

// TestReadmeGraphIsCurrent keeps README.md's picture of the production profile equal to
// what `millrace topology graph production` draws.
func TestReadmeGraphIsCurrent(t *testing.T) {
	code, graph, stderr := runCLI(t, "topology", "graph", "production")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```mermaid\n"+graph+"```\n") {
		t.Errorf("README.md's mermaid picture differs from `millrace topology graph production`; paste its output:\n%s", graph)
	}
}
