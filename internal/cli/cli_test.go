package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
)

// processEnv, set in the environment of this test binary, makes it run as the millrace
// command line instead of the tests, for the tests that need a process they can kill.
const processEnv = "MILLRACE_CLI_TEST_PROCESS"

func TestMain(m *testing.M) {
	if os.Getenv(processEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// cliProcess returns the command that runs this test binary as the command line with
// args, without the topology default of the developer's shell.
func cliProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), processEnv+"=1", config.EnvTopology+"=")
	return cmd
}

// runCLI runs the command line in-process and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// mustRun runs the command line and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, args...)
	if code != ExitOK {
		t.Fatalf("millrace %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
	}
	return stdout
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"nonsense"},
		{"topology", "validate"},
		{"topology", "explain", "a", "b"},
		{"check", "--no-such-flag"},
	} {
		if code, _, stderr := runCLI(t, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d; stderr:\n%s", args, code, ExitUsage, stderr)
		}
	}
}

// TestWithCommand: a binary's own command joins the tree, and its errors exit like
// those of the built-in commands.
func TestWithCommand(t *testing.T) {
	hello := func() *cobra.Command {
		return &cobra.Command{
			Use:  "hello",
			Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if len(args) == 1 {
					return Fail(errors.New("cannot greet " + args[0]))
				}
				fmt.Fprintln(cmd.OutOrStdout(), "hello")
				return nil
			},
		}
	}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), args, &stdout, &stderr, WithCommand(hello))
		return code, stdout.String(), stderr.String()
	}
	if code, stdout, stderr := run("hello"); code != ExitOK || stdout != "hello\n" {
		t.Errorf("hello: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := run("hello", "x"); code != ExitFailure || !strings.Contains(stderr, "millrace: cannot greet x") {
		t.Errorf("hello x: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := run("hello", "x", "y"); code != ExitUsage {
		t.Errorf("hello x y: exit %d, want %d", code, ExitUsage)
	}
	if code, _, _ := runCLI(t, "hello"); code != ExitUsage {
		t.Errorf("hello without WithCommand: exit %d, want %d", code, ExitUsage)
	}
}
