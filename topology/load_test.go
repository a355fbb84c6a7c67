package topology_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/transport/amqp"
	_ "github.com/millrace/millrace/internal/transport/builtin" // the shipped kinds
	"github.com/millrace/millrace/internal/transport/redisstream"
	"github.com/millrace/millrace/topology"
	"gopkg.in/yaml.v3"
)

// parseTransport returns the transport name whose value in a topology file is value.
func parseTransport(t *testing.T, name, value string) *topology.Transport {
	t.Helper()
	return mustParse(t, "version: 1\ntransports:\n  "+name+": "+value+"\n", nil).Transports[name]
}

// isDatabase reports whether tr is a SQL database.
func isDatabase(tr *topology.Transport) bool {
	_, _, ok := tr.Database()
	return ok
}

// mustParse parses src with the given environment and fails the test on any problem.
func mustParse(t *testing.T, src string, env map[string]string) *topology.Topology {
	t.Helper()
	tp, err := topology.ParseWithEnv("t.yaml", []byte(src), func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return tp
}

func TestEnvExpansion(t *testing.T) {
	src := lines(
		"version: 1",
		"transports:",
		`  rabbit: {kind: amqp, url: "${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}"}`,
		`  redis: {kind: redisstream, addr: "${REDIS_HOST}:${REDIS_PORT:-6379}", password: "${REDIS_PASSWORD:-}"}`,
		`  pg: {kind: sql, dialect: "${DIALECT:-postgres}", dsn: "host=db user=app password=pa$$word"}`,
		"topics:",
		"  a.b: {transport: rabbit}",
		"defaults:",
		`  concurrency: ${CONCURRENCY:-3}`,
	)
	tp := mustParse(t, src, map[string]string{"REDIS_HOST": "cache", "AMQP_URL": "amqp://u:p@mq:5672/"})
	if got, _ := amqp.URL(tp.Transports["rabbit"]); got.Reveal() != "amqp://u:p@mq:5672/" {
		t.Errorf("set variable: url = %q", got.Reveal())
	}
	rs, _ := redisstream.ClientOptions(tp.Transports["redis"])
	if rs.Addr != "cache:6379" || rs.Password != "" {
		t.Errorf("redis: addr %q password %q, want cache:6379 and empty", rs.Addr, rs.Password)
	}
	dialect, dsn, _ := tp.Transports["pg"].Database()
	if dsn.Reveal() != "host=db user=app password=pa$word" {
		t.Errorf("$$ escape: dsn = %q", dsn.Reveal())
	}
	if dialect != "postgres" || tp.Defaults.Concurrency != 3 {
		t.Errorf("defaults of unset variables not used: dialect %q concurrency %d", dialect, tp.Defaults.Concurrency)
	}

	tp = mustParse(t, src, map[string]string{"REDIS_HOST": "h", "AMQP_URL": "", "DIALECT": "mysql"})
	if got, _ := amqp.URL(tp.Transports["rabbit"]); got.Reveal() != "amqp://guest:guest@127.0.0.1:5672/" {
		t.Errorf("empty variable takes the default: url = %q", got.Reveal())
	}
	if dialect, _, _ := tp.Transports["pg"].Database(); dialect != "mysql" {
		t.Errorf("dialect = %q, want mysql", dialect)
	}
}

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"A": "1", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cases := []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"${A}", "1", ""},
		{"x${A}y${A}", "x1y1", ""},
		{"${B:-two}", "two", ""},
		{"${EMPTY:-d}", "d", ""},
		{"${EMPTY}", "", ""},
		{"${B:-}", "", ""},
		{"$$", "$", ""},
		{"$${A}", "${A}", ""},
		{"cost $5", "cost $5", ""},
		{"end$", "end$", ""},
		{"${B}", "", "B is not set"},
		{"${A", "", "unclosed"},
		{"${}", "", "invalid environment variable name"},
		{"${1X}", "", "invalid environment variable name"},
	}
	for _, c := range cases {
		got, err := topology.ExpandEnv(c.in, lookup)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestDefaultsMerge(t *testing.T) {
	src := withBase(
		"  a.b: {transport: mem}",
		"defaults:",
		"  group: shared-group",
		"  concurrency: 2",
		"  timeout: 30s",
		"  retry: {max_attempts: 7, initial_interval: 1s}",
		"  poison: {topic: '{handler}.{topic}.dead'}",
		"handlers:",
		"  plain: {topic: a.b}",
		"  tuned: {topic: a.b, group: own, timeout: 0s, retry: {max_interval: 1m, multiplier: 1.5}, poison: {topic: ''}}",
	)
	tp := mustParse(t, src, nil)
	wantDefaults := topology.Policy{
		Group: "shared-group", Concurrency: 2, Timeout: 30 * time.Second,
		Retry:       topology.Retry{MaxAttempts: 7, InitialInterval: time.Second, MaxInterval: 5 * time.Second, Multiplier: 2},
		PoisonTopic: "{handler}.{topic}.dead",
	}
	if !reflect.DeepEqual(tp.Defaults, wantDefaults) {
		t.Errorf("defaults:\n got %+v\nwant %+v", tp.Defaults, wantDefaults)
	}
	plain, ok := tp.Handler("plain")
	if !ok || !reflect.DeepEqual(plain.Policy, wantDefaults) {
		t.Errorf("plain handler policy:\n got %+v\nwant %+v", plain.Policy, wantDefaults)
	}
	if got := plain.PoisonTopicFor("a.b"); got != "plain.a.b.dead" {
		t.Errorf("poison topic = %q", got)
	}
	tuned, _ := tp.Handler("tuned")
	wantTuned := topology.Policy{
		Group: "own", Concurrency: 2, Timeout: 0,
		Retry:       topology.Retry{MaxAttempts: 7, InitialInterval: time.Second, MaxInterval: time.Minute, Multiplier: 1.5},
		PoisonTopic: "",
	}
	if !reflect.DeepEqual(tuned.Policy, wantTuned) {
		t.Errorf("tuned handler policy:\n got %+v\nwant %+v", tuned.Policy, wantTuned)
	}
	if got := tuned.PoisonTopicFor("a.b"); got != "" {
		t.Errorf("disabled poison queue gives %q", got)
	}
	if _, ok := tp.Handler("missing"); ok {
		t.Error("Handler found an undeclared handler")
	}
}

func TestBuiltinDefaults(t *testing.T) {
	src := lines(
		"version: 1",
		"transports:",
		"  mem: {kind: gochannel}",
		`  rabbit: {kind: amqp, url: "amqp://h/"}`,
		"  redis: {kind: redisstream, addr: h:6379}",
		`  pg: {kind: sql, dialect: mysql, dsn: "root@tcp(h:3306)/db"}`,
		"topics:",
		"  a.b: {transport: mem}",
		"handlers:",
		"  h: {topic: a.b}",
	)
	tp := mustParse(t, src, nil)
	// Each kind's defaults are tested in its package (settings_test.go).
	for name, kind := range map[string]topology.Kind{"mem": "gochannel", "rabbit": "amqp", "redis": "redisstream", "pg": "sql"} {
		if tr := tp.Transports[name]; tr.Kind != kind || tr.Settings == nil {
			t.Errorf("transport %s: kind %q settings %v, want kind %q with settings", name, tr.Kind, tr.Settings, kind)
		}
	}
	h, _ := tp.Handler("h")
	want := topology.Policy{Group: "h", Concurrency: 1, Retry: topology.Retry{MaxAttempts: 5, InitialInterval: 100 * time.Millisecond, MaxInterval: 5 * time.Second, Multiplier: 2}, PoisonTopic: "{topic}.poison"}
	if !reflect.DeepEqual(h.Policy, want) {
		t.Errorf("handler policy:\n got %+v\nwant %+v", h.Policy, want)
	}
	if tp.Topics[0].Delivery != topology.Shared || tp.Version != 1 || tp.File != "t.yaml" {
		t.Errorf("topic delivery %q version %d file %q", tp.Topics[0].Delivery, tp.Version, tp.File)
	}
	if tr, ok := tp.Transport("redis"); !ok || tr.Kind != "redisstream" || tr.Pos != (topology.Pos{5, 3}) {
		t.Errorf("Transport(redis) = %+v, %v", tr, ok)
	}
	if _, ok := tp.Transport("nope"); ok {
		t.Error("Transport found an undeclared transport")
	}
}

func TestGlobExpansionOrder(t *testing.T) {
	src := withBase(
		"  users.verified: {transport: mem}",
		"  orders.created: {transport: mem}",
		"  users.registered: {transport: mem}",
		"  users.deleted.v2: {transport: mem}",
		"  users.*: {transport: rabbit}",
		"  users.archived: {transport: mem}",
		"handlers:",
		"  stats: {topic: 'users.*'}",
		"  everything: {topic: '*.*'}",
	)
	tp := mustParse(t, src, nil)
	stats, _ := tp.Handler("stats")
	if want := []string{"users.verified", "users.registered", "users.archived"}; !reflect.DeepEqual(stats.Topics, want) {
		t.Errorf("users.* expanded to %v, want %v (declaration order, patterns and other lengths skipped)", stats.Topics, want)
	}
	if stats.Pattern != "users.*" || stats.Pos != (topology.Pos{14, 3}) {
		t.Errorf("pattern %q pos %v", stats.Pattern, stats.Pos)
	}
	all, _ := tp.Handler("everything")
	if want := []string{"users.verified", "orders.created", "users.registered", "users.archived"}; !reflect.DeepEqual(all.Topics, want) {
		t.Errorf("*.* expanded to %v, want %v", all.Topics, want)
	}
	if tp.Handlers[0].Name != "stats" || tp.Handlers[1].Name != "everything" {
		t.Errorf("handlers not in file order")
	}
}

func TestDerivedPoisonTopics(t *testing.T) {
	src := withBase(
		"  users.registered: {transport: rabbit, outbox: pg, delivery: broadcast}",
		"  users.verified: {transport: rabbit}",
		"  users.verified.poison: {transport: mem}",
		"  orders.*.poison: {transport: pg}",
		"  orders.eu: {transport: mem}",
		"handlers:",
		"  mailer: {topic: 'users.*'}",
		"  orders: {topic: orders.eu}",
		"  audit: {topic: users.registered, poison: {topic: 'audit.{handler}'}}",
	)
	tp := mustParse(t, src, nil)
	var derived []topology.Topic
	for _, tt := range tp.Topics {
		if tt.Derived {
			derived = append(derived, *tt)
		}
	}
	want := []topology.Topic{
		{Name: "users.registered.poison", Transport: "rabbit", Delivery: topology.Shared, Derived: true, Pos: topology.Pos{13, 3}},
		{Name: "audit.audit", Transport: "rabbit", Delivery: topology.Shared, Derived: true, Pos: topology.Pos{15, 52}},
	}
	if !reflect.DeepEqual(derived, want) {
		t.Errorf("derived topics:\n got %+v\nwant %+v", derived, want)
	}
	// Declared and pattern-covered poison topics are not derived again.
	for topic, transport := range map[string]string{"users.verified.poison": "mem", "orders.eu.poison": "pg", "users.registered.poison": "rabbit"} {
		got, err := tp.Resolve(topic)
		if err != nil || got.Transport != transport {
			t.Errorf("Resolve(%q) = %+v, %v; want transport %s", topic, got, err, transport)
		}
	}
	if n := len(tp.Topics); n != 7 {
		t.Errorf("%d topics, want 5 declared + 2 derived", n)
	}
}

func TestResolve(t *testing.T) {
	src := withBase(
		"  tenant.*.orders: {transport: mem}",
		"  tenant.acme.*: {transport: rabbit}",
		"  tenant.acme.orders: {transport: pg}",
		"  '*.*.orders': {transport: rabbit}",
		"  tenant.*.*: {transport: mem, delivery: broadcast}",
		"  '*.*.*': {transport: pg}",
		"  a.*: {transport: mem}",
		"  '*.b': {transport: rabbit}",
		"  a.b: {transport: pg}",
	)
	tp := mustParse(t, src, nil)
	cases := map[string]string{
		"tenant.acme.orders": "tenant.acme.orders", // exact wins
		"tenant.beta.orders": "tenant.*.orders",    // more specific than *.*.orders and tenant.*.*
		"tenant.acme.users":  "tenant.acme.*",
		"tenant.beta.users":  "tenant.*.*",
		"shop.x.orders":      "*.*.orders",
		"x.y.z":              "*.*.*",
		"a.c":                "a.*",
		"c.b":                "*.b",
		"a.b":                "a.b", // the exact entry settles the overlap of a.* and *.b
	}
	for topic, want := range cases {
		got, err := tp.Resolve(topic)
		if err != nil || got.Name != want {
			t.Errorf("Resolve(%q) = %v, %v; want %s", topic, got, err, want)
		}
	}
	for _, topic := range []string{"c.d", "tenant", "a.b.c.d", "", "tenant.acme.orders.x", "tenant..orders", "a."} {
		if got, err := tp.Resolve(topic); !errors.Is(err, topology.ErrUndeclaredTopic) {
			t.Errorf("Resolve(%q) = %v, %v; want ErrUndeclaredTopic", topic, got, err)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() {
		_, _ = tp.Resolve("tenant.beta.orders")
		_, _ = tp.Resolve("tenant.acme.orders")
	}); allocs != 0 {
		t.Errorf("Resolve allocates %v times per call", allocs)
	}
	// A topology built by hand resolves too.
	hand := &topology.Topology{Topics: []*topology.Topic{{Name: "x.*", Transport: "m"}}}
	if got, err := hand.Resolve("x.y"); err != nil || got.Name != "x.*" {
		t.Errorf("hand-built Resolve = %v, %v", got, err)
	}
}

func TestOverlapCoveredByMorePreciseEntry(t *testing.T) {
	src := withBase(
		"  a.*.*: {transport: mem}",
		"  '*.b.*': {transport: mem}",
		"  a.b.*: {transport: rabbit}",
	)
	tp := mustParse(t, src, nil)
	if got, err := tp.Resolve("a.b.c"); err != nil || got.Name != "a.b.*" {
		t.Errorf("Resolve = %v, %v", got, err)
	}
}

func TestSecretRedaction(t *testing.T) {
	tr := parseTransport(t, "rabbit", `{kind: amqp, url: "amqp://guest:hunter2@mq:5672/", prefetch: 1}`)
	rs := parseTransport(t, "redis", `{kind: redisstream, addr: "h:1", password: hunter2}`)
	url, _ := amqp.URL(tr)
	password := topology.Secret("hunter2")
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{tr, *tr, tr.Settings, rs, *rs, rs.Settings, url, password} {
			if s := fmt.Sprintf(format, v); strings.Contains(s, "hunter2") {
				t.Errorf("%s of %T prints the password: %s", format, v, s)
			}
		}
	}
	if got := fmt.Sprintf("%v", url); got != "amqp://guest:****@mq:5672/" {
		t.Errorf("%%v = %q", got)
	}
	if got := fmt.Sprintf("%#v", password); got != `topology.Secret("****")` {
		t.Errorf("%%#v = %q", got)
	}
	if url.Reveal() != "amqp://guest:hunter2@mq:5672/" {
		t.Error("Reveal does not return the value")
	}
}

func TestMarshalTransport(t *testing.T) {
	trs := []*topology.Transport{
		parseTransport(t, "rabbit", `{kind: amqp, url: "amqp://guest:hunter2@mq:5672/"}`),
		parseTransport(t, "redis", `{kind: redisstream, addr: "h:1", password: hunter2}`),
		parseTransport(t, "pg", `{kind: sql, dialect: postgres, dsn: "postgres://root:hunter2@h/db"}`),
	}
	for _, tr := range trs {
		j, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		y, err := yaml.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string][]byte{"json": j, "yaml": y} {
			if strings.Contains(string(out), "hunter2") {
				t.Errorf("%s of %s shows the password: %s", name, tr.Name, out)
			}
			if !strings.Contains(string(out), "****") {
				t.Errorf("%s of %s has no masked value: %s", name, tr.Name, out)
			}
		}
	}
	j, _ := json.Marshal(trs[0])
	if !strings.Contains(string(j), `"URL":"amqp://guest:****@mq:5672/"`) {
		t.Errorf("json = %s", j)
	}
}

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"":                                    "",
		"amqp://guest:guest@127.0.0.1:5672/":  "amqp://guest:****@127.0.0.1:5672/",
		"amqp://host:5672/":                   "amqp://host:5672/",
		"amqps://user@host/vhost":             "amqps://user@host/vhost",
		"postgres://root:s3cr@t@db:5432/test": "postgres://root:****@db:5432/test",
		"postgres://root@127.0.0.1:5432/test?sslmode=disable":               "postgres://root@127.0.0.1:5432/test?sslmode=disable",
		"postgres://root@db/test?sslmode=disable&password=x1&application=a": "postgres://root@db/test?sslmode=disable&password=****&application=a",
		"redis://:pw@cache:6379/0":                                          "redis://:****@cache:6379/0",
		"user:pw@tcp(127.0.0.1:3306)/test?parseTime=true":                   "user:****@tcp(127.0.0.1:3306)/test?parseTime=true",
		"root@tcp(127.0.0.1:3306)/test":                                     "root@tcp(127.0.0.1:3306)/test",
		"u:p@/db":                                                           "u:****@/db",
		"tcp(h:3306)/db":                                                    "tcp(h:3306)/db",
		"host=db user=app password=secret dbname=app":                       "host=db user=app password=**** dbname=app",
		"host=db user=app password='a b' dbname=app":                        "host=db user=app password=**** dbname=app",
		"host=db dbname=app":                                                "host=db dbname=app",
		"hunter2":                                                           "****",
		"c2VjcmV0=":                                                         "****",
		"abc/def":                                                           "****",
		"p@ss/word":                                                         "****",
	}
	for in, want := range cases {
		if got := topology.Redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNames(t *testing.T) {
	for name, want := range map[string]bool{"a.*": true, "*": true, "*.b": true, "a.*.c": true, "a.b": false, "a*.b": false, "a.b*": false, "": false} {
		if got := topology.IsPattern(name); got != want {
			t.Errorf("IsPattern(%q) = %v", name, got)
		}
	}
	if got := topology.ExpandPoison("{handler}/{topic}.x", "a.b", "h"); got != "h/a.b.x" {
		t.Errorf("expandPoison = %q", got)
	}
	if got := topology.ExpandPoison("", "a.b", "h"); got != "" {
		t.Errorf("empty template gives %q", got)
	}
	if got := topology.Suggest("transprot", topology.KnownKeys[topology.SecTopic]); got != "transport" {
		t.Errorf("suggest = %q", got)
	}
	if got := topology.Suggest("zzz", topology.KnownKeys[topology.SecTopic]); got != "" {
		t.Errorf("suggest of a far key = %q", got)
	}
}

// TestProfiles loads the profiles the binaries ship with.
func TestProfiles(t *testing.T) {
	files, err := filepath.Glob("../config/*.yaml")
	if err != nil || len(files) == 0 {
		t.Skip("no profiles in ../config")
	}
	for _, f := range files {
		tp, err := topology.LoadWithEnv(f, noEnv)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		checkInvariants(t, tp)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := topology.Load(filepath.Join(t.TempDir(), "none.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want os.ErrNotExist", err)
	}
	var list topology.ErrorList
	if errors.As(err, &list) {
		t.Error("a missing file is not a list of file problems")
	}
}

// checkInvariants asserts what every loaded topology guarantees.
func checkInvariants(t testing.TB, tp *topology.Topology) {
	t.Helper()
	for _, tt := range tp.Topics {
		if _, ok := tp.Transports[tt.Transport]; !ok {
			t.Errorf("topic %q on undeclared transport %q", tt.Name, tt.Transport)
		}
		if tt.Outbox != "" {
			if ob, ok := tp.Transports[tt.Outbox]; !ok || !isDatabase(ob) {
				t.Errorf("topic %q has outbox %q that is not a sql transport", tt.Name, tt.Outbox)
			}
		}
	}
	for _, h := range tp.Handlers {
		if len(h.Topics) == 0 {
			t.Errorf("handler %q has no topics", h.Name)
		}
		for _, topic := range h.Topics {
			if _, err := tp.Resolve(topic); err != nil {
				t.Errorf("handler %q topic: %v", h.Name, err)
			}
			if pt := h.PoisonTopicFor(topic); pt != "" {
				if _, err := tp.Resolve(pt); err != nil {
					t.Errorf("handler %q poison topic: %v", h.Name, err)
				}
			}
		}
		if h.Policy.Concurrency < 1 || h.Policy.Retry.MaxAttempts < 1 || h.Policy.Retry.Multiplier < 1 ||
			h.Policy.Retry.MaxInterval < h.Policy.Retry.InitialInterval || h.Policy.Group == "" {
			t.Errorf("handler %q has an invalid policy %+v", h.Name, h.Policy)
		}
	}
}

func BenchmarkResolve(b *testing.B) {
	tp, err := topology.ParseWithEnv("b.yaml", []byte(withBase(
		"  users.registered: {transport: mem}",
		"  tenant.*.orders: {transport: mem}",
		"  tenant.acme.*: {transport: rabbit}",
		"  '*.*.*': {transport: pg}",
		"  tenant.acme.orders: {transport: pg}",
	)), noEnv)
	if err != nil {
		b.Fatal(err)
	}
	for _, topic := range []string{"users.registered", "tenant.beta.orders", "x.y.z"} {
		b.Run(topic, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tp.Resolve(topic); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
