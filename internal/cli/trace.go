package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/topology"
)

func newTraceCommand() *cobra.Command {
	var (
		flags  topologyFlags
		format string
	)
	cmd := &cobra.Command{
		Use:   "trace CORRELATION_ID",
		Short: "Print the causal tree of a request from the delivery log",
		Long: `Trace prints every message of one correlation id and every handler outcome, from the
delivery log the services record when the topology names a trace store:

  trace: {store: <sql transport>}

Each message is shown with its type, topic, transport and publish time, each handler
outcome under it (ok, ok after N retries, filtered, poisoned or nacked with the
reason), and the messages a handler published under that handler's outcome:

  users.registered v1 (topic users.registered via rabbit) 12:00:01.123
    └ send-verification-email: ok after 2 retries
      └ mail.sent v1 (topic mail.sent via rabbit) 12:00:01.456

The local profile (and so a running 'millrace demo') keeps the log in its SQLite
database: --data DIR reads the one of a demo started with --data DIR.

Times are local. --format json prints the same tree as the services' GET
/trace/{correlation_id}. The exit status is 1 when the topology has no trace store
or the log has nothing for the id.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("unknown --format %q (text or json)", format)
			}
			t, err := flags.load(cmd)
			if err != nil {
				return err
			}
			if err := storeExists(t); err != nil {
				return Fail(err)
			}
			dl, err := deliverylog.Open(cmd.Context(), deliverylog.Config{Topology: t})
			if err != nil {
				return Fail(err)
			}
			tree, err := dl.Tree(cmd.Context(), args[0])
			if cerr := dl.Close(); err == nil && cerr != nil {
				err = cerr
			}
			if errors.Is(err, deliverylog.ErrNotFound) {
				return Fail(fmt.Errorf("%s: no message of correlation id %s in the delivery log", t.File, args[0]))
			}
			if err != nil {
				return Fail(err)
			}
			if format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return Fail(enc.Encode(tree))
			}
			return Fail(deliverylog.WriteText(cmd.OutOrStdout(), tree, time.Local))
		},
	}
	flags.add(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// storeExists reports a trace store that is a SQLite file not created yet, which a
// service on the topology would have created; reading it would only create an empty one.
func storeExists(t *topology.Topology) error {
	if t.Trace == nil {
		return nil
	}
	tr, ok := t.Transport(t.Trace.Store)
	if !ok {
		return nil
	}
	if err := sqliteFileExists(tr); err != nil {
		return fmt.Errorf("delivery log of %s: %w", t.File, err)
	}
	return nil
}
