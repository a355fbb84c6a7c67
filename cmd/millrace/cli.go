package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/topology"
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

// demoDatabase is the SQLite file a demo keeps in its data folder: users, outbox,
// delivery log and poison queues.
const demoDatabase = "millrace.db"

// topologyFlags are the flags that name the topology of an operating command.
type topologyFlags struct {
	topology string
	data     string
}

// add adds --topology and --data.
func (f *topologyFlags) add(cmd *cobra.Command) {
	f.addTopology(cmd)
	cmd.Flags().StringVar(&f.data, "data", "", "data folder of a running 'millrace demo': the topology's SQLite transports use <data>/"+demoDatabase)
}

// addTopology adds --topology only.
func (f *topologyFlags) addTopology(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.topology, "topology", "", "topology file or profile (default $MILLRACE_TOPOLOGY, else "+config.DefaultProfile+")")
}

func (f *topologyFlags) source() config.Source {
	if f.topology != "" {
		return config.Source(f.topology)
	}
	return defaultSource()
}

// load loads the topology the flags name, its SQLite transports in --data when given.
// A load error is printed on stderr and returned as silent.
func (f *topologyFlags) load(cmd *cobra.Command) (*topology.Topology, error) {
	topo, err := config.Load(f.source())
	if err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), err)
		return nil, silent
	}
	if f.data == "" {
		return topo, nil
	}
	db := filepath.Join(f.data, demoDatabase)
	if _, err := os.Stat(db); err != nil {
		return nil, fail(fmt.Errorf("--data %s: %w (start 'millrace demo --data %s' first)", f.data, err, f.data))
	}
	if err := useDatabase(topo, db); err != nil {
		return nil, fail(fmt.Errorf("--data %s: %w", f.data, err))
	}
	return topo, nil
}

// useDatabase points every SQLite transport of topo at the database file path.
func useDatabase(topo *topology.Topology, path string) error {
	n := 0
	for _, t := range topo.Transports {
		if t.Kind == topology.KindSQL && t.SQL != nil && t.SQL.Dialect == topology.DialectSQLite {
			t.SQL.DSN = topology.Secret(path)
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("topology %s has no sqlite transport", topo.File)
	}
	return nil
}

// refuseInMemory returns an error when topic lives on an in-memory transport of topo,
// whose messages only the process that publishes them can reach; doing says what the
// command would have done.
func refuseInMemory(topo *topology.Topology, topic, doing string) error {
	tp, err := topo.Resolve(topic)
	if err != nil {
		return err
	}
	if tr, ok := topo.Transport(tp.Transport); ok && tr.Kind == topology.KindGoChannel {
		return fmt.Errorf("topic %s is on the in-memory transport %q of %s: its messages live inside the process of each service, so %s from another process reaches none of them",
			topic, tr.Name, topo.File, doing)
	}
	return nil
}

// sourceArg returns the topology named by the optional first argument.
func sourceArg(args []string) config.Source {
	if len(args) > 0 {
		return config.Source(args[0])
	}
	return defaultSource()
}
