package cli

import (
	"strings"
	"testing"
)

func TestCheckLocalProfile(t *testing.T) {
	code, stdout, stderr := runCLI(t, "check", "local")
	if code != ExitOK || !strings.Contains(stdout, "memory: ok") || !strings.Contains(stdout, "sqlite: ok") {
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
	if code != ExitFailure {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitFailure, stderr)
	}
	if !strings.Contains(stdout, "cache: fail: ") || !strings.Contains(stdout, "memory: ok") {
		t.Errorf("stdout lacks a line per transport:\n%s", stdout)
	}
	if !strings.Contains(stderr, "1 of 2 transports do not answer: cache") {
		t.Errorf("stderr does not name the transport:\n%s", stderr)
	}
}
