package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
)

// Exit codes of the millrace command.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// failure marks an error as an operational failure (exit 1); every other error a command
// returns is a usage error (exit 2).
type failure struct{ err error }

func (f failure) Error() string { return f.err.Error() }
func (f failure) Unwrap() error { return f.err }

// fail wraps err as an operational failure.
func fail(err error) error {
	if err == nil {
		return nil
	}
	return failure{err}
}

// silent is a failure whose details the command has already printed.
var silent = failure{errors.New("")}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var f failure
	if errors.As(err, &f) {
		switch msg := f.Error(); {
		case strings.Contains(msg, "\n"):
			// A list of positioned problems reads best one per line, unprefixed.
			fmt.Fprintln(stderr, msg)
		case msg != "":
			fmt.Fprintln(stderr, "millrace:", msg)
		}
		return exitFailure
	}
	fmt.Fprintln(stderr, "millrace:", err)
	fmt.Fprintln(stderr, "Run 'millrace --help' for usage.")
	return exitUsage
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "millrace",
		Short: "Route Watermill messages over the transports a YAML topology picks",
		Long: `millrace routes each topic of a YAML topology to its own transport (RabbitMQ,
Redis Streams, SQL or in-memory). This command checks, explains and connects topologies.

A topology is named by a file path or by one of the embedded profiles:
  ` + strings.Join(config.Profiles(), ", ") + `
The environment variable MILLRACE_TOPOLOGY gives the default (else "` + config.DefaultProfile + `").`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newTopologyCommand(), newCheckCommand(), newProbeCommand())
	root.AddCommand(newPoisonCommand(), newPublishCommand(), newTailCommand())
	root.AddCommand(newDemoCommand())
	root.AddCommand(newNewCommand())
	root.AddCommand(newTraceCommand())
	return root
}

// defaultSource is the topology used when a command names none.
func defaultSource() config.Source {
	if v := os.Getenv("MILLRACE_TOPOLOGY"); v != "" {
		return config.Source(v)
	}
	return config.DefaultProfile
}

// sourceArg returns the topology named by the optional first argument.
func sourceArg(args []string) config.Source {
	if len(args) > 0 {
		return config.Source(args[0])
	}
	return defaultSource()
}
