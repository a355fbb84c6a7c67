package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/millrace/millrace/config"
)

func TestValidateProfiles(t *testing.T) {
	code, stdout, stderr := runCLI(t, append([]string{"topology", "validate"}, config.Profiles()...)...)
	if code != ExitOK {
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
	if code != ExitFailure {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitFailure, stderr)
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
	if code != ExitOK {
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

// TestExplainShowsSQLitePath: a SQLite file name is not a secret; a password parameter
// of a SQLite URI still is.
func TestExplainShowsSQLitePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "millrace.db")
	t.Setenv("MILLRACE_SQLITE_PATH", path)
	code, stdout, stderr := runCLI(t, "topology", "explain", "local")
	if code != ExitOK || !strings.Contains(stdout, "dsn="+path+" ") || !strings.Contains(stdout, "transport sqlite") {
		t.Errorf("exit %d, want the path %s and the trace store:\n%s%s", code, path, stdout, stderr)
	}
	t.Setenv("MILLRACE_SQLITE_PATH", "file:x.db?_auth_pass=hunter2&mode=rwc")
	_, stdout, _ = runCLI(t, "topology", "explain", "local")
	if strings.Contains(stdout, "hunter2") || !strings.Contains(stdout, "dsn=file:x.db?_auth_pass=****&mode=rwc ") {
		t.Errorf("SQLite URI password not masked:\n%s", stdout)
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
		if code, _, stderr := runCLI(t, args...); code != ExitFailure || !strings.Contains(stderr, want) {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
	if _, _, stderr := runCLI(t, "topology", "explain", "kafka"); strings.Contains(stderr, "did you mean") {
		t.Errorf("a name close to no profile got a suggestion:\n%s", stderr)
	}
}

// TestExplainFiltersAndRoutes: a handler's filter prints as JSON in its row, and each
// route has a row of the ROUTE table with the topics it consumes, the topic it forwards
// to and its filter.
func TestExplainFiltersAndRoutes(t *testing.T) {
	file := writeFile(t, "orders.yaml", rulesTopology)
	code, stdout, stderr := runCLI(t, "topology", "explain", file)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = f
		}
	}
	filtered := rows["order-processor"]
	if len(filtered) == 0 || filtered[len(filtered)-1] != `Completed"]}` ||
		!strings.Contains(strings.Join(filtered, " "), `{"source":["orders"],"type":["Order Created","Order Completed"]}`) {
		t.Errorf("order-processor row %q lacks its filter as JSON at the end:\n%s", filtered, stdout)
	}
	if r := rows["reviewer"]; len(r) == 0 || r[len(r)-1] != "-" {
		t.Errorf("reviewer row %q: want - for no filter:\n%s", r, stdout)
	}
	header := rows["ROUTE"]
	if strings.Join(header, " ") != "ROUTE FROM TO CONCURRENCY TIMEOUT RETRY POISON FILTER" {
		t.Fatalf("ROUTE header = %q:\n%s", header, stdout)
	}
	route := rows["big-orders"]
	if len(route) < 3 || route[1] != "orders.created,orders.completed" || route[2] != "review.big-orders" ||
		route[len(route)-1] != `{"data":{"order":{"total":[{"numeric":[">",1000]}]}}}` {
		t.Errorf("big-orders row = %q, want from, to and filter:\n%s", route, stdout)
	}
	if strings.Index(stdout, "\nROUTE") < strings.Index(stdout, "\nHANDLER") {
		t.Errorf("the ROUTE table comes before the HANDLER table:\n%s", stdout)
	}
	if strings.Count(stdout, "\nbig-orders ") != 1 {
		t.Errorf("the route is listed more than once (as a handler too?):\n%s", stdout)
	}

	// A topology without routes has no ROUTE table.
	_, stdout, _ = runCLI(t, "topology", "explain", "local")
	if strings.Contains(stdout, "ROUTE") {
		t.Errorf("a topology without routes prints a ROUTE table:\n%s", stdout)
	}
}
