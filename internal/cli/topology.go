package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/topology"
)

func newTopologyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topology",
		Short: "Validate and explain topology files",
	}
	cmd.AddCommand(newValidateCommand(), newExplainCommand(), newGraphCommand(), newReferenceCommand())
	return cmd
}

func newValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE|PROFILE...",
		Short: "Check topology files and report every problem as file:line:col",
		Long: `Validate loads each topology completely, without connecting to anything, and
prints every problem it finds as "file:line:col: field: message". It exits 1 if any
file is invalid.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, arg := range args {
				if _, err := config.Load(config.Source(arg)); err != nil {
					bad++
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", arg)
			}
			if bad > 0 {
				return Fail(fmt.Errorf("%d of %d topologies invalid", bad, len(args)))
			}
			return nil
		},
	}
}

func newReferenceCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "reference",
		Short: "Print the topology file reference in Markdown, generated from the JSON Schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := config.Reference()
			if err != nil {
				return Fail(err)
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), ref)
			return Fail(err)
		},
	}
}

func newExplainCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "explain [FILE|PROFILE]",
		Short: "Print every transport, topic, handler and route of a topology (secrets redacted)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := sourceArg(args)
			topo, err := config.Load(src)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return silent
			}
			return Fail(explain(cmd.OutOrStdout(), topo))
		},
	}
}

// explain writes a readable description of topo. Secrets print redacted because they are
// topology.Secret values.
func explain(out io.Writer, topo *topology.Topology) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "topology %s (version %d)\n\n", topo.File, topo.Version)

	fmt.Fprintln(w, "TRANSPORT\tKIND\tSETTINGS")
	for _, name := range slices.Sorted(maps.Keys(topo.Transports)) {
		t := topo.Transports[name]
		fmt.Fprintf(w, "%s\t%s\t%s\n", t.Name, t.Kind, transportSettings(t))
	}

	fmt.Fprintln(w, "\nTOPIC\tTRANSPORT\tDELIVERY\tOUTBOX\tNOTE")
	for _, t := range topo.Topics {
		note := ""
		switch {
		case t.Derived:
			note = "derived (poison topic)"
		case t.IsPattern():
			note = "pattern"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Transport, t.Delivery, orDash(t.Outbox), note)
	}

	fmt.Fprintln(w, "\nHANDLER\tTOPICS\tGROUP\tCONCURRENCY\tTIMEOUT\tRETRY\tPOISON\tFILTER")
	for _, h := range topo.Handlers {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", h.Name, strings.Join(h.Topics, ","),
			h.Policy.Group, h.Policy.Concurrency, durationOrNone(h.Policy.Timeout),
			retrySummary(h.Policy.Retry), poisonTopics(h), filterSummary(h))
	}
	if len(topo.Routes) > 0 {
		fmt.Fprintln(w, "\nROUTE\tFROM\tTO\tCONCURRENCY\tTIMEOUT\tRETRY\tPOISON\tFILTER")
		for _, r := range topo.Routes {
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", r.Name, strings.Join(r.Topics, ","), r.To,
				r.Policy.Concurrency, durationOrNone(r.Policy.Timeout),
				retrySummary(r.Policy.Retry), poisonTopics(&r.Handler), filterSummary(&r.Handler))
		}
	}
	if topo.Trace != nil {
		fmt.Fprintf(w, "\ndelivery log (millrace trace): transport %s\n", topo.Trace.Store)
	}
	return w.Flush()
}

// poisonTopics lists the poison topics of h, or "-".
func poisonTopics(h *topology.Handler) string {
	poison := make([]string, 0, len(h.Topics))
	for _, t := range h.Topics {
		if p := h.PoisonTopicFor(t); p != "" {
			poison = append(poison, p)
		}
	}
	return orDash(strings.Join(poison, ","))
}

// filterSummary prints the filter of h as JSON, or "-" when it has none.
func filterSummary(h *topology.Handler) string {
	if h.Filter == nil {
		return "-"
	}
	return h.Filter.String()
}

// transportSettings prints the settings of t as its kind's package prints them.
func transportSettings(t *topology.Transport) string {
	if s, ok := t.Settings.(fmt.Stringer); ok {
		return s.String()
	}
	return ""
}

func retrySummary(r topology.Retry) string {
	if r.MaxAttempts <= 1 {
		return "none"
	}
	return fmt.Sprintf("%d attempts, %s..%s x%g", r.MaxAttempts, r.InitialInterval, r.MaxInterval, r.Multiplier)
}

func durationOrNone(d time.Duration) string {
	if d <= 0 {
		return "none"
	}
	return d.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
