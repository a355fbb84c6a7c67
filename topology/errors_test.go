package topology_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/millrace/millrace/topology"
)

// lines joins its arguments into a file, one line each, so a case's line numbers are
// the argument positions.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func noEnv(string) (string, bool) { return "", false }

// mustFail parses src and returns its problems, failing when it loads.
func mustFail(t *testing.T, src string) topology.ErrorList {
	t.Helper()
	tp, err := topology.ParseWithEnv("t.yaml", []byte(src), noEnv)
	if err == nil {
		t.Fatalf("loaded, want errors; topics: %d", len(tp.Topics))
	}
	var list topology.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %T is not an ErrorList: %v", err, err)
	}
	return list
}

// base declares transports every case can use: lines 1-6.
var base = []string{
	"version: 1",
	"transports:",
	"  mem: {kind: gochannel}",
	`  pg: {kind: sql, dialect: postgres, dsn: "postgres://u:p@h/db"}`,
	`  rabbit: {kind: amqp, url: "amqp://h/"}`,
	"topics:",
}

func withBase(ls ...string) string { return lines(append(append([]string{}, base...), ls...)...) }

// long is a topic name whose watermill_offsets_ table name is 64 bytes.
var long = strings.Repeat("x", 46)

// malformed are topology files with problems; FuzzParse seeds its corpus with them.
var malformed = []struct {
	name string
	src  string
	// want is "line:col: field" of the first problem; msg is part of its message.
	want, msg string
}{
	{"yaml syntax", lines("version: 1", "topics:", "  a: b: c"), "3:1", "invalid YAML: mapping values are not allowed"},
	{"yaml unclosed flow mapping", lines("version: 1", "topics:", "  a: {transport: mem", "handlers: {}"), "3:1", "invalid YAML: did not find expected ',' or '}'"},
	{"yaml unclosed flow sequence at end of file", lines("version: [1"), "2:1", "invalid YAML: did not find expected ',' or ']'"},
	{"yaml brace in plain scalar", lines("version: 1", "transports:", "  pg: {kind: sql, dsn: ${DSN}}"), "3:1", "invalid YAML: did not find expected ',' or '}'"},
	{"yaml tab indentation", lines("version: 1", "topics:", "\ta: {}"), "3:1", "invalid YAML: found character that cannot start any token"},
	{"second document", lines("version: 1", "---", "version: 1"), "2:1", "one YAML document"},
	{"empty file", "", "1:1", "file is empty"},
	{"comments only", "# nothing\n", "1:1", "file is empty"},
	{"top level list", lines("- version", "- 1"), "1:1", "top level must be a mapping"},
	{"version missing", lines("topics: {}"), "1:1: version", "version is required"},
	{"version wrong", lines("version: 2"), "1:10: version", `unsupported version "2"`},
	{"unknown top-level key", lines("version: 1", "topic: {}"), "2:1: topic", `unknown key "topic" here; did you mean "topics"?`},
	{"unknown top-level key without hint", lines("version: 1", "zzzzzz: 1"), "2:1: zzzzzz", "known: version, transports, topics, defaults, handlers"},
	{"unknown transport key with hint", lines("version: 1", "transports:", `  rabbit: {kind: amqp, url: "amqp://h/", prefech: 3}`), "3:42: transports.rabbit.prefech", `did you mean "prefetch"?`},
	{"unknown transport kind", lines("version: 1", "transports:", "  k: {kind: kafka}"), "3:13: transports.k.kind", `unknown transport kind "kafka" (valid: amqp, gochannel, redisstream, sql)`},
	{"transport kind missing", lines("version: 1", "transports:", "  k: {buffer: 3}"), "3:3: transports.k.kind", "kind is required"},
	{"transport not a mapping", lines("version: 1", "transports:", "  k: gochannel"), "3:6: transports.k", "must be a mapping, got a single value"},
	{"sql without dsn", lines("version: 1", "transports:", "  pg: {kind: sql, dialect: postgres}"), "3:3: transports.pg.dsn", "dsn is required"},
	{"sql bad dialect", lines("version: 1", "transports:", `  pg: {kind: sql, dialect: postgre, dsn: "x"}`), "3:28: transports.pg.dialect", `unknown dialect "postgre" (valid: postgres, mysql, sqlite); did you mean "postgres"?`},
	{"amqp without url", lines("version: 1", "transports:", "  r: {kind: amqp}"), "3:3: transports.r.url", "url is required"},
	{"amqp url scheme", lines("version: 1", "transports:", `  r: {kind: amqp, url: "http://u:secret@h/"}`), "3:24: transports.r.url", `must start with amqp:// or amqps://, got "http://u:****@h/"`},
	{"redis without addr", lines("version: 1", "transports:", "  r: {kind: redisstream}"), "3:3: transports.r.addr", "addr is required"},
	{"bad boolean", lines("version: 1", "transports:", `  r: {kind: amqp, url: "amqp://h/", confirms: maybe}`), "3:47: transports.r.confirms", `must be true or false, got "maybe"`},
	{"prefetch zero", lines("version: 1", "transports:", `  r: {kind: amqp, url: "amqp://h/", prefetch: 0}`), "3:47: transports.r.prefetch", "must be at least 1, got 0"},
	{"missing env var", lines("version: 1", "transports:", `  r: {kind: amqp, url: "${AMQP_URL}"}`), "3:24: transports.r.url", "environment variable AMQP_URL is not set"},
	{"unclosed env reference", lines("version: 1", "transports:", `  r: {kind: redisstream, addr: "${REDIS"}`), "3:32: transports.r.addr", `unclosed "${"`},
	{"topic on missing transport", withBase("  users.registered: {transport: rabit}"), "7:33: topics.users.registered.transport", `unknown transport "rabit" (declared: mem, pg, rabbit); did you mean "rabbit"?`},
	{"topic without transport", withBase("  users.registered: {delivery: shared}"), "7:3: topics.users.registered.transport", "transport is required"},
	{"outbox not sql", withBase("  users.registered: {transport: rabbit, outbox: mem}"), "7:49: topics.users.registered.outbox", `outbox "mem" is a gochannel transport; an outbox must be a sql transport`},
	{"outbox missing", withBase("  users.registered: {transport: rabbit, outbox: pgx}"), "7:49: topics.users.registered.outbox", `unknown transport "pgx"`},
	{"bad delivery", withBase("  chat.messages: {transport: mem, delivery: broadcst}"), "7:45: topics.chat.messages.delivery", `unknown delivery "broadcst" (valid: shared, broadcast); did you mean "broadcast"?`},
	{"bad topic characters", withBase("  users/registered: {transport: mem}"), "7:3: topics.users/registered", `invalid character '/' in segment "users/registered"`},
	{"star inside segment", withBase("  users.reg*: {transport: mem}"), "7:3: topics.users.reg*", `"*" must be a whole segment`},
	{"empty segment", withBase("  users..registered: {transport: mem}"), "7:3: topics.users..registered", "empty segment 2"},
	{"duplicate topic", withBase("  a.b: {transport: mem}", "  a.b: {transport: rabbit}"), "8:3: topics.a.b", `duplicate key "a.b" (first at line 7 col 3)`},
	{"duplicate key in topic", withBase("  a.b: {transport: mem, transport: rabbit}"), "7:25: topics.a.b.transport", `duplicate key "transport" (first at line 7 col 9)`},
	{"sql topic name too long", withBase("  " + long + ": {transport: pg}"), "7:3: topics." + long, "would be 64 bytes; identifiers are limited to 63 bytes (topic names at most 45)"},
	{"sql pattern name too long", withBase("  " + long[:44] + ".*: {transport: pg}"), "7:3: topics." + long[:44] + ".*", "are at least 64 bytes"},
	{"ambiguous patterns", withBase("  a.*: {transport: mem}", "  '*.b': {transport: mem}"), "8:3: topics.*.b", `patterns "a.*" (line 7 col 3) and "*.b" (line 8 col 3) both match topics such as "a.b"`},
	{"wrong scalar type", withBase("  a.b: {transport: mem}", "handlers:", "  h: {topic: a.b, concurrency: many}"), "9:32: handlers.h.concurrency", `must be an integer (at least 1), got "many"`},
	{"zero concurrency", withBase("  a.b: {transport: mem}", "defaults:", "  concurrency: 0"), "9:16: defaults.concurrency", "must be at least 1, got 0"},
	{"negative max_attempts", withBase("  a.b: {transport: mem}", "defaults:", "  retry: {max_attempts: -1}"), "9:25: defaults.retry.max_attempts", "must be at least 1, got -1"},
	{"bad duration", withBase("  a.b: {transport: mem}", "defaults:", "  timeout: 30"), "9:12: defaults.timeout", `must be a duration with a unit such as 100ms, 5s or 1m, got "30"`},
	{"negative timeout", withBase("  a.b: {transport: mem}", "defaults:", "  timeout: -1s"), "9:12: defaults.timeout", "must not be negative"},
	{"multiplier below one", withBase("  a.b: {transport: mem}", "defaults:", "  retry: {multiplier: 0.5}"), "9:23: defaults.retry.multiplier", "must be at least 1, got 0.5"},
	{"max_interval below initial_interval", withBase("  a.b: {transport: mem}", "defaults:", "  retry: {initial_interval: 2s, max_interval: 1s}"), "9:47: defaults.retry.max_interval", "max_interval (1s) must not be less than initial_interval (2s)"},
	{"handler initial_interval above default max", withBase("  a.b: {transport: mem}", "handlers:", "  h: {topic: a.b, retry: {initial_interval: 6s}}"), "9:45: handlers.h.retry.initial_interval", "max_interval (5s) must not be less than initial_interval (6s)"},
	{"unknown retry key", withBase("  a.b: {transport: mem}", "handlers:", "  h: {topic: a.b, retry: {max_attemps: 3}}"), "9:27: handlers.h.retry.max_attemps", `did you mean "max_attempts"?`},
	{"unknown defaults key", withBase("  a.b: {transport: mem}", "defaults:", "  retyr: {}"), "9:3: defaults.retyr", `did you mean "retry"?`},
	{"duplicate handler", withBase("  a.b: {transport: mem}", "handlers:", "  h: {topic: a.b}", "  h: {topic: a.b}"), "10:3: handlers.h", `duplicate key "h" (first at line 9 col 3)`},
	{"two handlers of one group on a topic", withBase("  a.b: {transport: mem}", "  a.c: {transport: mem}", "handlers:", "  h1: {topic: a.b, group: g}", "  h2: {topic: 'a.*', group: g}"), "11:3: handlers.h2.group", `handlers "h1" (line 10) and "h2" are both in group "g" on topic "a.b"`},
	{"bad handler name", withBase("  a.b: {transport: mem}", "handlers:", "  Send_Mail: {topic: a.b}"), "9:3: handlers.Send_Mail", `handler name "Send_Mail": invalid character 'S'`},
	{"handler without topic", withBase("  a.b: {transport: mem}", "handlers:", "  h: {group: g}"), "9:3: handlers.h.topic", "topic is required"},
	{"handler topic undeclared", withBase("  a.b: {transport: mem}", "handlers:", "  h: {topic: a.c}"), "9:14: handlers.h.topic", `topic "a.c" is not declared in topics; did you mean "a.b"?`},
	{"glob matches nothing", withBase("  a.b: {transport: mem}", "handlers:", "  h: {topic: 'c.*'}"), "9:14: handlers.h.topic", `glob "c.*" matches no declared topic`},
	{"glob against patterns only", withBase("  t.*.o: {transport: mem}", "handlers:", "  h: {topic: 't.*.o'}"), "9:14: handlers.h.topic", `glob "t.*.o" matches no declared topic`},
	{"poison placeholder unknown", withBase("  a.b: {transport: mem}", "handlers:", "  h: {topic: a.b, poison: {topic: '{topik}.dead'}}"), "9:35: handlers.h.poison.topic", "unknown placeholder {topik}"},
	{"poison not a mapping", withBase("  a.b: {transport: mem}", "defaults:", "  poison: false"), "9:11: defaults.poison", `to turn the poison queue off write poison: {topic: ""}`},
	{"poison loops", withBase("  a.b: {transport: mem}", "handlers:", "  h: {topic: a.b, poison: {topic: '{topic}'}}"), "9:35: handlers.h.poison.topic", `poison topic "a.b" of topic "a.b" is consumed by this handler`},
	{"poison loops through glob", withBase("  a.b: {transport: mem}", "  a.c: {transport: mem}", "handlers:", "  h: {topic: 'a.*', poison: {topic: a.c}}"), "10:37: handlers.h.poison.topic", `poison topic "a.c" of topic "a.b" is consumed by this handler`},
	{"poison invalid name", withBase("  a.b: {transport: mem}", "defaults:", "  poison: {topic: '{topic}/dead'}"), "9:19: defaults.poison.topic", "does not give a valid topic name"},
	{"bad group name", withBase("  a.b: {transport: mem}", "handlers:", "  h: {topic: a.b, group: 'My Group'}"), "9:26: handlers.h.group", `group "My Group": invalid character 'M'`},
	{"list where value expected", withBase("  a.b: {transport: [mem]}"), "7:20: topics.a.b.transport", "expected a single value, got a list"},
	{"section not a mapping", lines("version: 1", "topics: [a, b]"), "2:9: topics", "topics must be a mapping, got a list"},
	{"merge key", lines("version: 1", "<<: {topics: {}}"), "2:1", "merge keys (<<) are not supported"},
	{"trace store not sql", withBase("  a.b: {transport: mem}", "trace: {store: rabbit}"), "8:16: trace.store", `trace store "rabbit" is a amqp transport; the delivery log needs a sql transport`},
	{"trace store undeclared", withBase("  a.b: {transport: mem}", "trace: {store: pgg}"), "8:16: trace.store", `unknown transport "pgg" (declared: mem, pg, rabbit); did you mean "pg"?`},
	{"trace store missing", withBase("  a.b: {transport: mem}", "trace: {}"), "8:1: trace.store", "store is required: the sql transport that keeps the delivery log (sql transports: pg)"},
	{"trace unknown key", withBase("  a.b: {transport: mem}", "trace: {store: pg, stor: pg}"), "8:20: trace.stor", `unknown key "stor" in trace; did you mean "store"?`},
	{"trace not a mapping", withBase("  a.b: {transport: mem}", "trace: pg"), "8:8: trace", "trace must be a mapping, got a single value"},
	{"derived poison on two transports", withBase("  a.b: {transport: mem}", "  c.d: {transport: rabbit}", "defaults:", "  poison: {topic: dead}", "handlers:", "  h1: {topic: a.b}", "  h2: {topic: c.d}"), "13:3: handlers.h2.poison.topic", `poison topic "dead" is derived on transport "rabbit" here and on "mem" at line 12 col 3`},
}

func TestMalformed(t *testing.T) {
	cases := append(slices.Clip(malformed), badRoutes...)
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list := mustFail(t, c.src)
			first := list[0]
			if !strings.HasPrefix(first.Error(), "t.yaml:"+c.want) {
				t.Errorf("first problem:\n got %s\nwant prefix t.yaml:%s\nall:\n%v", first, c.want, list)
			}
			if !strings.Contains(first.Msg, c.msg) {
				t.Errorf("message %q does not contain %q", first.Msg, c.msg)
			}
			if f, _, _ := strings.Cut(c.want, ": "); f != c.want && first.Field == "" {
				t.Errorf("problem names no field: %v", first)
			}
			for _, e := range list {
				if e.Line < 1 || e.Col < 1 || e.File != "t.yaml" {
					t.Errorf("bad position in %v", e)
				}
			}
		})
	}
}

func TestAllProblemsReportedSorted(t *testing.T) {
	src := lines(
		"version: 1",
		"transports:",
		"  pg: {kind: sql, dialect: postgres}", // 3: dsn missing
		"  k: {kind: kafka}",                   // 4: bad kind
		"topics:",                              //
		"  a.b: {transport: nope}",             // 6: unknown transport
		"  a.c: {transport: pg, delivery: sometimes}", // 7: bad delivery
		"handlers:",                         //
		"  h: {topic: x.y, concurrency: 0}", // 9: undeclared topic, zero concurrency
		"extra: 1",                          // 10: unknown key
	)
	list := mustFail(t, src)
	want := []string{
		"t.yaml:3:3: transports.pg.dsn: ",
		"t.yaml:4:13: transports.k.kind: ",
		"t.yaml:6:20: topics.a.b.transport: ",
		"t.yaml:7:34: topics.a.c.delivery: ",
		"t.yaml:9:14: handlers.h.topic: ",
		"t.yaml:9:32: handlers.h.concurrency: ",
		"t.yaml:10:1: extra: ",
	}
	if len(list) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(list), len(want), list)
	}
	got := strings.Split(list.Error(), "\n")
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("problem %d: got %q, want prefix %q", i, got[i], w)
		}
	}
	var one *topology.Error
	if !errors.As(error(list), &one) || one != list[0] {
		t.Errorf("errors.As to *Error gave %v, want the first problem", one)
	}
}

func TestErrorFormat(t *testing.T) {
	e := &topology.Error{File: "local.yaml", Line: 3, Col: 7, Field: "topics.a.transport", Msg: "boom"}
	if got, want := e.Error(), "local.yaml:3:7: topics.a.transport: boom"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	e.Field = ""
	if got, want := e.Error(), "local.yaml:3:7: boom"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	wrapped := fmt.Errorf("start: %w", topology.ErrorList{e})
	var list topology.ErrorList
	if !errors.As(wrapped, &list) || len(list) != 1 {
		t.Errorf("errors.As through a wrap failed: %v", wrapped)
	}
}
