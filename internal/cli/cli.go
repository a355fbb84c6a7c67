package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/internal/bus"
)

// Exit codes of the millrace command.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Connector loads the topology src names and opens its transports; its cleanup closes
// them. `millrace check` connects through it.
type Connector func(src config.Source, logger *slog.Logger) (*bus.Bus, func(), error)

// Option changes the command line Run executes.
type Option func(*options)

type options struct {
	commands []func() *cobra.Command
	connect  Connector
}

// WithCommand adds the command newCommand builds to the top of the command tree.
func WithCommand(newCommand func() *cobra.Command) Option {
	return func(o *options) { o.commands = append(o.commands, newCommand) }
}

// WithConnector makes `millrace check` open transports through connect, such as a
// binary's wire injector, instead of loading the topology and providing the bus itself.
func WithConnector(connect Connector) Option {
	return func(o *options) { o.connect = connect }
}

// failure marks an error as an operational failure (exit 1); every other error a command
// returns is a usage error (exit 2).
type failure struct{ err error }

func (f failure) Error() string { return f.err.Error() }
func (f failure) Unwrap() error { return f.err }

// Fail marks err as an operational failure, which exits 1; any other error a command
// returns is a usage error, which exits 2. Fail(nil) is nil.
func Fail(err error) error {
	if err == nil {
		return nil
	}
	return failure{err}
}

// silent is a failure whose details the command has already printed.
var silent = failure{errors.New("")}

// Run executes the command line args, printing on stdout and stderr, and returns the
// exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, opts ...Option) int {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.connect == nil {
		o.connect = connect
	}
	root := newRootCommand(stdout, stderr, o)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, invalidInput) {
		return ExitUsage
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
		return ExitFailure
	}
	fmt.Fprintln(stderr, "millrace:", err)
	fmt.Fprintln(stderr, "Run 'millrace --help' for usage.")
	return ExitUsage
}

func newRootCommand(stdout, stderr io.Writer, o options) *cobra.Command {
	root := &cobra.Command{
		Use:   "millrace",
		Short: "Route Watermill messages over the transports a YAML topology picks",
		Long: `millrace routes each topic of a YAML topology to its own transport (RabbitMQ,
Redis Streams, SQL or in-memory). This command checks, explains and connects topologies.

A topology is named by a file path or by one of the embedded profiles:
  ` + strings.Join(config.Profiles(), ", ") + `
The environment variable ` + config.EnvTopology + ` gives the default (else "` + config.DefaultProfile + `").`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newTopologyCommand(), newCheckCommand(o.connect), newProbeCommand())
	root.AddCommand(newPoisonCommand(), newPublishCommand(), newTailCommand())
	for _, newCommand := range o.commands {
		root.AddCommand(newCommand())
	}
	root.AddCommand(newNewCommand())
	root.AddCommand(newTraceCommand())
	root.AddCommand(newRulesCommand())
	root.AddCommand(newRoutesCommand(o.connect))
	return root
}

// connect is the Connector used when Run is given none.
func connect(src config.Source, logger *slog.Logger) (*bus.Bus, func(), error) {
	topo, err := config.Load(src)
	if err != nil {
		return nil, nil, err
	}
	return bus.Provide(topo, logger)
}

// warnLogger is the logger of commands that open transports: warnings and errors on
// stderr.
func warnLogger(cmd *cobra.Command) *slog.Logger {
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}
