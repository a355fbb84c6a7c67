package cli

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/router/routertest"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// brokerCase is a transport the CLI tests run on.
type brokerCase struct {
	name      string
	transport func(t *testing.T) string // YAML of the transport entry
}

var brokerCases = []brokerCase{
	{"amqp", func(t *testing.T) string { return fmt.Sprintf("{kind: amqp, url: %q}", testenv.RabbitMQ(t)) }},
	{"redisstream", func(t *testing.T) string { return fmt.Sprintf("{kind: redisstream, addr: %q}", testenv.Redis(t)) }},
	{"postgres", func(t *testing.T) string {
		return fmt.Sprintf("{kind: sql, dialect: postgres, dsn: %q}", testenv.PostgresSchema(t))
	}},
	{"mysql", func(t *testing.T) string {
		return fmt.Sprintf("{kind: sql, dialect: mysql, dsn: %q}", testenv.MySQL(t))
	}},
}

func randomName(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

const faultyName = "charge-card"

// faultyHandler fails permanently while broken and records what it handles otherwise.
type faultyHandler struct {
	broken atomic.Bool

	mu      sync.Mutex
	handled map[string]message.Metadata // by message UUID
}

func (h *faultyHandler) Name() string { return faultyName }

func (h *faultyHandler) HandleMessage(msg *message.Message) error {
	if h.broken.Load() {
		return router.Permanent(errors.New("payment gateway refused: fault injected"))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	md := message.Metadata{}
	for k, v := range msg.Metadata {
		md[k] = v
	}
	h.handled[msg.UUID] = md
	return nil
}

func (h *faultyHandler) got(id string) (message.Metadata, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	md, ok := h.handled[id]
	return md, ok
}

// poisonEnv is a running router with the faulty handler on one broker, and the
// topology file the command line is pointed at.
type poisonEnv struct {
	file    string
	topic   string
	bus     *bus.Bus
	handler *faultyHandler
}

func startPoisonEnv(t *testing.T, c brokerCase) *poisonEnv {
	t.Helper()
	topic := "pcli_" + randomName(t) + ".orders"
	yaml := fmt.Sprintf(`version: 1
transports:
  x: %s
topics:
  %s: {transport: x}
defaults:
  retry: {max_attempts: 2, initial_interval: 10ms, max_interval: 10ms}
handlers:
  %s: {topic: %s}
`, c.transport(t), topic, faultyName, topic)
	file := writeFile(t, "topology.yaml", yaml)
	topo, err := topology.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := topo.Transport("x")
	t.Cleanup(func() {
		testenv.DropTopic(t, tr, topic, faultyName)
		testenv.DropTopic(t, tr, topic+".poison", router.PoisonStoreGroup)
	})
	b, err := bus.Open(topo, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	h := &faultyHandler{handled: map[string]message.Metadata{}}
	h.broken.Store(true)
	routertest.Start(t, router.Config{Topology: topo, Bus: b, Handlers: []router.Handler{h}})
	return &poisonEnv{file: file, topic: topic, bus: b, handler: h}
}

// publish publishes n messages with correlation ids and returns their UUIDs.
func (e *poisonEnv) publish(t *testing.T, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		msg := message.NewMessage(watermill.NewUUID(), []byte(fmt.Sprintf(`{"order":%d,"amount":"9.99"}`, i)))
		msg.Metadata.Set("correlation_id", "corr-"+msg.UUID)
		msg.Metadata.Set("ce_type", "orders.placed.v1")
		if err := e.bus.Publisher().Publish(e.topic, msg); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, msg.UUID)
	}
	return ids
}

// list returns the poisoned messages the command line lists as JSON.
func (e *poisonEnv) list(t *testing.T, extra ...string) []entryJSON {
	t.Helper()
	out := mustRun(t, append([]string{"poison", "list", "--format", "json", "--topology", e.file}, extra...)...)
	var entries []entryJSON
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("poison list --format json: %v\n%s", err, out)
	}
	return entries
}

func listedIDs(entries []entryJSON) []string {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	return ids
}

// waitPoison is how long the poison tests wait for the router or a replay.
const waitPoison = 45 * time.Second

// TestPoisonCLI poisons messages on each broker with a router whose handler fails, then
// drives the command line: list, show, dry-run, a replay that fails again, a killed
// replay, a replay after the fault is fixed, and purge.
func TestPoisonCLI(t *testing.T) {
	for _, c := range brokerCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			testPoisonCLI(t, c)
		})
	}
}

func testPoisonCLI(t *testing.T, c brokerCase) {
	env := startPoisonEnv(t, c)
	ids := env.publish(t, 3)
	var entries []entryJSON
	testenv.Eventually(t, "3 poisoned messages listed", waitPoison, func() bool {
		entries = env.list(t)
		return len(entries) == 3
	})
	for _, e := range entries {
		if !slices.Contains(ids, e.ID) || e.Topic != env.topic || e.Handler != faultyName ||
			!strings.Contains(e.Reason, "payment gateway refused") || e.Attempts != 1 || e.Time == nil {
			t.Fatalf("listed %+v", e)
		}
	}

	// The table names the handler and the reason; filters narrow it.
	table := mustRun(t, "poison", "list", "--topology", env.file)
	for _, want := range []string{"ID", "HANDLER", "REASON", faultyName, "payment gateway refused", ids[0], "3 poisoned message(s)"} {
		if !strings.Contains(table, want) {
			t.Errorf("poison list lacks %q:\n%s", want, table)
		}
	}
	if got := env.list(t, "--reason", "no such reason"); len(got) != 0 {
		t.Errorf("--reason filter kept %v", listedIDs(got))
	}
	if got := env.list(t, "--handler", faultyName, "--topic", env.topic, "--since", "1h"); len(got) != 3 {
		t.Errorf("matching filters kept %d of 3", len(got))
	}
	if got := env.list(t, "--until", "1h"); len(got) != 0 {
		t.Errorf("--until 1h (an hour ago) kept %v", listedIDs(got))
	}

	show := mustRun(t, "poison", "show", ids[0], "--topology", env.file)
	for _, want := range []string{`"order": 0`, `"amount": "9.99"`, "payment gateway refused", "attempts:", "handler:", faultyName, "corr-" + ids[0], "topic_poisoned"} {
		if !strings.Contains(show, want) {
			t.Errorf("poison show lacks %q:\n%s", want, show)
		}
	}
	if code, _, _ := runCLI(t, "poison", "show", watermill.NewUUID(), "--topology", env.file); code != ExitFailure {
		t.Errorf("show of an unknown id: exit %d, want 1", code)
	}

	dry := mustRun(t, "poison", "replay", "--all", "--dry-run", "--topology", env.file)
	if !strings.Contains(dry, "3 message(s) would be replayed") {
		t.Errorf("dry run printed:\n%s", dry)
	}
	if got := env.list(t); len(got) != 3 {
		t.Fatalf("after --dry-run %d listed, want 3", len(got))
	}
	for _, args := range [][]string{{"--all"}, {"--yes"}, {ids[0], "--all", "--yes"}} {
		if code, _, _ := runCLI(t, append([]string{"poison", "purge", "--topology", env.file}, args...)...); code != ExitUsage {
			t.Fatalf("purge %v: exit %d, want 2", args, code)
		}
	}
	if got := env.list(t); len(got) != 3 {
		t.Fatalf("after purges without --yes or without a choice %d listed, want 3", len(got))
	}

	// Replayed while still broken: the message is poisoned again, counted as replayed.
	mustRun(t, "poison", "replay", ids[0], "--topology", env.file)
	testenv.Eventually(t, "the replayed message poisoned again", waitPoison, func() bool {
		for _, e := range env.list(t) {
			if e.ID == ids[0] && e.Replayed == 1 {
				return true
			}
		}
		return false
	})

	// Fix the fault; kill a slow replay after its first message: nothing is lost.
	env.handler.broken.Store(false)
	killedReplay(t, env.file)
	if left := env.list(t); len(left) == 0 || len(left) == 3 {
		t.Errorf("after the killed replay %d of 3 still poisoned: it should have replayed one and been killed before the next", len(left))
	}
	testenv.Eventually(t, "every message either still poisoned or handled", waitPoison, func() bool {
		listed := listedIDs(env.list(t))
		for _, id := range ids {
			if _, ok := env.handler.got(id); !ok && !slices.Contains(listed, id) {
				return false
			}
		}
		return true
	})

	out := mustRun(t, "poison", "replay", "--all", "--topology", env.file)
	if !strings.Contains(out, "message(s) replayed") {
		t.Errorf("replay printed:\n%s", out)
	}
	testenv.Eventually(t, "all 3 handled", waitPoison, func() bool {
		for _, id := range ids {
			if _, ok := env.handler.got(id); !ok {
				return false
			}
		}
		return true
	})
	if got := env.list(t); len(got) != 0 {
		t.Fatalf("after replay still listed: %v", listedIDs(got))
	}
	for _, id := range ids {
		md, _ := env.handler.got(id)
		if md.Get("correlation_id") != "corr-"+id || md.Get("reason_poisoned") != "" || md.Get("replayed") == "" {
			t.Errorf("handled %s with metadata %v: want its correlation id, a replayed count, no poison keys", id, md)
		}
	}
	if md, _ := env.handler.got(ids[0]); md.Get("replayed") != "2" {
		t.Errorf("message replayed twice has replayed=%q, want 2", md.Get("replayed"))
	}

	// Purge needs --yes and then empties the list.
	env.handler.broken.Store(true)
	more := env.publish(t, 2)
	testenv.Eventually(t, "2 new poisoned messages", waitPoison, func() bool { return len(env.list(t)) == 2 })
	out = mustRun(t, "poison", "purge", more[0], "--yes", "--topology", env.file)
	if !strings.Contains(out, "1 message(s) purged") {
		t.Errorf("purge of one id printed:\n%s", out)
	}
	if got := listedIDs(env.list(t)); len(got) != 1 || got[0] != more[1] {
		t.Fatalf("after purging %s: %v", more[0], got)
	}
	mustRun(t, "poison", "purge", "--all", "--yes", "--topology", env.file)
	if got := env.list(t); len(got) != 0 {
		t.Fatalf("after purge --all --yes still listed: %v", listedIDs(got))
	}
}

// killedReplay starts a replay of everything at 6 messages a minute (the first at once,
// the next 10 s later) in a process of its own and kills it (SIGKILL) as soon as it
// reports its first replayed message.
func killedReplay(t *testing.T, file string) {
	t.Helper()
	cmd := cliProcess(t, "poison", "replay", "--all", "--rate", "6/m", "--topology", file)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "replayed ") {
				first <- true
				return
			}
		}
		first <- false
	}()
	select {
	case ok := <-first:
		if !ok {
			t.Error("the replay ended without replaying a message")
		}
	case <-time.After(45 * time.Second):
		t.Error("no message replayed in 45s")
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

func TestPoisonListInMemoryFails(t *testing.T) {
	file := writeFile(t, "memory.yaml", `version: 1
transports:
  memory: {kind: gochannel}
topics:
  orders.placed: {transport: memory}
handlers:
  bill: {topic: orders.placed}
`)
	code, _, stderr := runCLI(t, "poison", "list", "--topology", file)
	if code != ExitFailure || !strings.Contains(stderr, "in-memory") || !strings.Contains(stderr, "cannot be read") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestOperatingWithoutDemoData: --data naming a folder no demo has used, or a SQLite
// trace store or poison store not created yet, is refused with a hint rather than read
// as an empty new database.
func TestOperatingWithoutDemoData(t *testing.T) {
	empty := t.TempDir()
	for _, args := range [][]string{
		{"trace", "x", "--topology", "local", "--data", empty},
		{"poison", "list", "--topology", "local", "--data", empty},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != ExitFailure || !strings.Contains(stderr, "millrace demo --data "+empty) {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
	t.Setenv("MILLRACE_SQLITE_PATH", filepath.Join(empty, "none.db"))
	code, _, stderr := runCLI(t, "trace", "x", "--topology", "local")
	if code != ExitFailure || !strings.Contains(stderr, "delivery log of local.yaml") || !strings.Contains(stderr, "no service has run on it") {
		t.Errorf("trace without a store file: exit %d, stderr:\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "poison", "list", "--topology", "local")
	if code != ExitFailure || !strings.Contains(stderr, "poison topics on transport sqlite") || !strings.Contains(stderr, "no service has run on it") {
		t.Errorf("poison list without a database file: exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(empty, "none.db")); err == nil {
		t.Error("trace created the store file")
	}
}
