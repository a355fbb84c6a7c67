package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/transport/transporttest"
)

// TestPublishThenTail runs `millrace tail` on a Redis Streams topic, publishes with
// `millrace publish`, and checks the CloudEvents line tail prints; cancelling the
// context (what SIGINT does) ends tail with exit 0.
func TestPublishThenTail(t *testing.T) {
	topic := "tail_" + randomName(t) + ".events"
	file := writeFile(t, "topology.yaml", fmt.Sprintf(`version: 1
transports:
  redis: {kind: redisstream, addr: %q}
topics:
  %s: {transport: redis}
`, testenv.Redis(t), topic))
	tr := transporttest.Parse(t, "redis", fmt.Sprintf("{kind: redisstream, addr: %q}", testenv.Redis(t)))
	t.Cleanup(func() { testenv.DropTopic(t, tr, topic) })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, w := io.Pipe()
	var stderr testenv.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- Run(ctx, []string{"tail", "--topic", topic, "--format", "cloudevents", "--topology", file}, w, &stderr)
		_ = w.Close()
	}()
	testenv.Eventually(t, "tail to start", 30*time.Second, func() bool {
		return strings.Contains(stderr.String(), "tailing "+topic)
	})
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
	if ce.SpecVersion != "1.0" || ce.Type != "users.registered.v1" || ce.Source != EventSource ||
		ce.ID == "" || ce.Time == "" || ce.CorrelationID != "corr-tail-1" || ce.Data.Email != "ada@example.com" {
		t.Errorf("tail printed %s", line)
	}

	cancel()
	select {
	case code := <-exit:
		if code != ExitOK {
			t.Errorf("tail after cancel: exit %d, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("tail did not stop in 30s after its context was cancelled")
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
		if code, _, stderr := runCLI(t, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want 2; stderr:\n%s", args, code, stderr)
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
		if code != ExitFailure || strings.Contains(stdout, "published") ||
			!strings.Contains(stderr, `is on the in-memory transport "memory" of local.yaml`) {
			t.Errorf("%s: exit %d, want 1 with the reason; stdout:\n%s\nstderr:\n%s", args[0], code, stdout, stderr)
		}
	}
}
