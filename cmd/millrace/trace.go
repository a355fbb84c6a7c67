package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/internal/deliverylog"
)

func newTraceCommand() *cobra.Command {
	var topo, format string
	cmd := &cobra.Command{
		Use:   "trace CORRELATION_ID",
		Short: "Print the causal tree of a request from the delivery log",
		Long: `Trace prints every message of one correlation id and every handler outcome, from the
delivery log the services record when the topology names a trace store:

  trace: {store: <sql transport>}

Each message is shown with its type, topic, transport and publish time, each handler
outcome under it (ok, ok after N retries, poisoned or nacked with the reason), and the
messages a handler published under that handler's outcome:

  users.registered v1 (topic users.registered via rabbit) 12:00:01.123
    └ send-verification-email: ok after 2 retries
      └ mail.sent v1 (topic mail.sent via rabbit) 12:00:01.456

Times are local. --format json prints the same tree as the services' GET
/trace/{correlation_id}. The exit status is 1 when the topology has no trace store
or the log has nothing for the id.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("unknown --format %q (text or json)", format)
			}
			src := defaultSource()
			if topo != "" {
				src = config.Source(topo)
			}
			t, err := config.Load(src)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return silent
			}
			dl, err := deliverylog.Open(cmd.Context(), deliverylog.Config{Topology: t})
			if err != nil {
				return fail(err)
			}
			tree, err := dl.Tree(cmd.Context(), args[0])
			if cerr := dl.Close(); err == nil && cerr != nil {
				err = cerr
			}
			if errors.Is(err, deliverylog.ErrNotFound) {
				return fail(fmt.Errorf("%s: no message of correlation id %s in the delivery log", t.File, args[0]))
			}
			if err != nil {
				return fail(err)
			}
			if format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return fail(enc.Encode(tree))
			}
			return fail(deliverylog.WriteText(cmd.OutOrStdout(), tree, time.Local))
		},
	}
	cmd.Flags().StringVar(&topo, "topology", "", "topology file or profile (default $MILLRACE_TOPOLOGY, else "+config.DefaultProfile+")")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}
