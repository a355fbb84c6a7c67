package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/transport/transporttest"
)

// TestTailStopsOnSIGINT starts the built binary's `millrace tail` on a Redis Streams
// topic and checks that SIGINT ends it with exit 0.
func TestTailStopsOnSIGINT(t *testing.T) {
	topic := "tail_" + watermill.NewShortUUID() + ".events"
	file := filepath.Join(t.TempDir(), "topology.yaml")
	yaml := fmt.Sprintf("version: 1\ntransports:\n  redis: {kind: redisstream, addr: %q}\ntopics:\n  %s: {transport: redis}\n", testenv.Redis(t), topic)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	tr := transporttest.Parse(t, "redis", fmt.Sprintf("{kind: redisstream, addr: %q}", testenv.Redis(t)))
	t.Cleanup(func() { testenv.DropTopic(t, tr, topic) })

	tail := exec.Command(binary, "tail", "--topic", topic, "--topology", file)
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
	if err := tail.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := tail.Wait(); err != nil {
		t.Errorf("tail after SIGINT: %v, want exit 0", err)
	}
}
