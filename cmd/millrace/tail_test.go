package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// TestPublishThenTail starts `millrace tail` on a Redis Streams topic, publishes with
// `millrace publish`, and checks the CloudEvents line tail prints; SIGINT ends tail with
// exit 0.
func TestPublishThenTail(t *testing.T) {
	topic := "tail_" + randomName(t) + ".events"
	file := writeFile(t, "topology.yaml", fmt.Sprintf(`version: 1
transports:
  redis: {kind: redisstream, addr: %q}
topics:
  %s: {transport: redis}
`, testenv.Redis(t), topic))
	tr := &topology.Transport{Name: "redis", Kind: topology.KindRedisStream,
		RedisStream: &topology.RedisStreamConfig{Addr: testenv.Redis(t)}}
	t.Cleanup(func() { testenv.DropTopic(t, tr, topic) })

	tail := exec.Command(binary, "tail", "--topic", topic, "--format", "cloudevents", "--topology", file)
	stdout, err := tail.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := tail.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tail.Process.Kill() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "tailing "+topic) {
				close(ready)
				break
			}
		}
		for sc.Scan() { // keep draining
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("tail did not start in 30s")
	}
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()

	out := mustRun(t, "publish", "--topic", topic, "--type", "users.registered.v1",
		"--data", `{"email":"ada@example.com"}`, "--correlation-id", "corr-tail-1", "--topology", file)
	if !strings.Contains(out, "correlation id corr-tail-1") {
		t.Errorf("publish printed:\n%s", out)
	}

	var line string
	select {
	case line = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("tail printed nothing in 30s")
	}
	var ce struct {
		SpecVersion   string `json:"specversion"`
		Type          string `json:"type"`
		Source        string `json:"source"`
		ID            string `json:"id"`
		Time          string `json:"time"`
		CorrelationID string `json:"correlationid"`
		Data          struct {
			Email string `json:"email"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(line), &ce); err != nil {
		t.Fatalf("tail line is not JSON: %v\n%s", err, line)
	}
	if ce.SpecVersion != "1.0" || ce.Type != "users.registered.v1" || ce.Source != cliSource ||
		ce.ID == "" || ce.Time == "" || ce.CorrelationID != "corr-tail-1" || ce.Data.Email != "ada@example.com" {
		t.Errorf("tail printed %s", line)
	}

	if err := tail.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := tail.Wait(); err != nil {
		t.Errorf("tail after SIGINT: %v, want exit 0", err)
	}
}

func TestPublishRejectsBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"publish", "--topic", "a.b", "--type", "x.v1"},
		{"publish", "--topic", "a.b", "--type", "x.v1", "--data", "not json"},
		{"poison", "list", "--since", "yesterday"},
		{"poison", "replay"},
		{"poison", "replay", "--all", "--rate", "fast"},
		{"tail"},
	} {
		if r := runBinary(t, args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want 2; stderr:\n%s", args, r.code, r.stderr)
		}
	}
}

// TestPublishAndTailRefuseInMemoryTopic: another process cannot reach a topic of the
// in-memory transport, so publish and tail say so instead of printing "published" or
// waiting forever.
func TestPublishAndTailRefuseInMemoryTopic(t *testing.T) {
	for _, args := range [][]string{
		{"publish", "--topology", "local", "--topic", "users.registered", "--type", "users.registered.v1", "--data", "{}"},
		{"tail", "--topology", "local", "--topic", "mail.sent"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitFailure || strings.Contains(stdout, "published") ||
			!strings.Contains(stderr, `is on the in-memory transport "memory" of local.yaml`) {
			t.Errorf("%s: exit %d, want 1 with the reason; stdout:\n%s\nstderr:\n%s", args[0], code, stdout, stderr)
		}
	}
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
	r := runBinary(t, "poison", "list", "--topology", file)
	if r.code != exitFailure || !strings.Contains(r.stderr, "in-memory") || !strings.Contains(r.stderr, "cannot be read") {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
