package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// DataFile is the SQLite file a data folder (--data) holds: users, outbox, delivery log
// and poison queues of a 'millrace demo', read by the commands that operate it.
const DataFile = "millrace.db"

// fileDatabase is implemented by the settings of a transport whose database can be a
// local file (SQLite): UseFile points it at path and reports whether it did.
type fileDatabase interface {
	UseFile(path string) bool
}

// UseDataFolder points every SQLite transport of topo at the file DataFile in dir and
// returns that file's path.
func UseDataFolder(topo *topology.Topology, dir string) (string, error) {
	path := filepath.Join(dir, DataFile)
	n := 0
	for _, t := range topo.Transports {
		if f, ok := t.Settings.(fileDatabase); ok && f.UseFile(path) {
			n++
		}
	}
	if n == 0 {
		return path, fmt.Errorf("topology %s has no sqlite transport", topo.File)
	}
	return path, nil
}

// topologyFlags are the flags that name the topology of an operating command.
type topologyFlags struct {
	topology string
	data     string
}

// add adds --topology and --data.
func (f *topologyFlags) add(cmd *cobra.Command) {
	f.addTopology(cmd)
	cmd.Flags().StringVar(&f.data, "data", "", "data folder of a running 'millrace demo': the topology's SQLite transports use <data>/"+DataFile)
}

// addTopology adds --topology only.
func (f *topologyFlags) addTopology(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.topology, "topology", "", "topology file or profile (default $"+config.EnvTopology+", else "+config.DefaultProfile+")")
}

// load loads the topology the flags name, its SQLite transports in --data when given.
// A load error is printed on stderr and returned as silent.
func (f *topologyFlags) load(cmd *cobra.Command) (*topology.Topology, error) {
	topo, err := config.Load(config.SourceOf(f.topology, os.Getenv, ""))
	if err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), err)
		return nil, silent
	}
	if f.data == "" {
		return topo, nil
	}
	if _, err := os.Stat(filepath.Join(f.data, DataFile)); err != nil {
		return nil, Fail(fmt.Errorf("--data %s: %w (start 'millrace demo --data %s' first)", f.data, err, f.data))
	}
	if _, err := UseDataFolder(topo, f.data); err != nil {
		return nil, Fail(fmt.Errorf("--data %s: %w", f.data, err))
	}
	return topo, nil
}

// sourceArg returns the topology named by the optional first argument.
func sourceArg(args []string) config.Source {
	flag := ""
	if len(args) > 0 {
		flag = args[0]
	}
	return config.SourceOf(flag, os.Getenv, "")
}

// sqliteFileExists returns an error when tr is a SQLite transport whose database file
// does not exist yet: no service has run on it from this folder.
func sqliteFileExists(tr *topology.Transport) error {
	dialect, dsn, _ := tr.Database()
	if sqldb.Dialect(dialect) != sqldb.SQLite {
		return nil
	}
	path := dsn.Reveal()
	if strings.HasPrefix(path, "file:") {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%w (no service has run on it here; a demo started with --data DIR keeps it in DIR/%s)", err, DataFile)
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
	if tr, ok := topo.Transport(tp.Transport); ok && transport.InProcess(tr.Kind) {
		return fmt.Errorf("topic %s is on the in-memory transport %q of %s: its messages live inside the process of each service, so %s from another process reaches none of them",
			topic, tr.Name, topo.File, doing)
	}
	return nil
}
