package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNewCommandExitCodes checks the exit codes and messages of millrace new: bad
// input is a usage error (2), a folder that is not a checkout or a file that exists
// is a failure (1), and nothing is written in either case.
func TestNewCommandExitCodes(t *testing.T) {
	root := repoRoot(t)
	paths := []string{"examples/orders", "handlers/orders", "cmd/orders"}
	existed := map[string]bool{}
	for _, path := range paths {
		_, err := os.Stat(filepath.Join(root, path))
		existed[path] = err == nil
	}
	type testCase struct {
		args []string
		code int
		want string
	}
	cases := []testCase{
		{[]string{"new", "service", "Bad_Name", "--dir", root}, exitUsage, "lowercase letters, digits and single hyphens"},
		{[]string{"new", "service", "orders", "--dir", t.TempDir()}, exitFailure, "go.mod"},
		{[]string{"new", "service", "millrace", "--dir", root}, exitUsage, "cmd/millrace exists already"},
		{[]string{"new", "handler", "ship-order", "--dir", root, "--topic", "orders.placed"}, exitUsage, `required flag(s) "event" not set`},
		{[]string{"new", "handler", "ship-order", "--dir", root, "--event", "orders.OrderPlaced", "--topic", "orders.placed"}, exitUsage, "config/local.yaml: topic orders.placed is not declared"},
		{[]string{"new", "handler", "ship-order", "--dir", root, "--service", "Orders", "--event", "orders.OrderPlaced", "--topic", "orders.placed"}, exitUsage, `service name "Orders"`},
		{[]string{"new", "handler", "send-welcome-email", "--dir", root, "--event", "users.Verified", "--topic", "users.verified"}, exitUsage, "handler send-welcome-email is declared already"},
	}
	// The chat example is gone from a clean slate; where it is, a service of its name
	// would overwrite it.
	if _, err := os.Stat(filepath.Join(root, "examples", "chat")); err == nil {
		cases = append(cases,
			testCase{[]string{"new", "service", "chat", "--dir", root}, exitUsage, "cmd/chat exists already"},
			testCase{[]string{"new", "service", "chat", "--dir", root}, exitUsage, "examples/chat exists already"})
	}
	for _, c := range cases {
		r := runBinary(t, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("millrace %s: exit %d, want %d with %q\nstderr: %s", strings.Join(c.args, " "), r.code, c.code, c.want, r.stderr)
		}
	}
	for _, path := range paths {
		if _, err := os.Stat(filepath.Join(root, path)); err == nil && !existed[path] {
			t.Errorf("a failed millrace new left %s", path)
		}
	}
}
