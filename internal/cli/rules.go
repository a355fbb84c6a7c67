package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/topology/pattern"
)

// invalidInput is a usage error (exit 2) whose details the command has already
// printed: an invalid pattern or event.
var invalidInput = errors.New("")

func newRulesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Work with event patterns (the filters of handlers and routes)",
	}
	cmd.AddCommand(newRulesTestCommand())
	return cmd
}

func newRulesTestCommand() *cobra.Command {
	var patternArg, eventArg, handler, route string
	var tf topologyFlags
	cmd := &cobra.Command{
		Use:   "test --event JSON|@FILE (--pattern JSON|@FILE | --handler NAME | --route NAME)",
		Short: "Tell whether an event matches a pattern",
		Long: `Test matches one event against an event pattern and prints "match", or "no match" with
the first field that failed. The pattern is given with --pattern (JSON or YAML), or is
the filter that the topology (--topology) gives a handler (--handler) or a route
(--route). The event is a CloudEvents 1.0 JSON envelope: its attributes (source, type,
id, ...) and its payload under "data". A value starting with @ names a file.

Exit status: 0 on a match, 1 on no match, 2 when the pattern or the event is invalid
(the problem is printed with its line and column).`,
		Example: `  millrace rules test --pattern '{"source": ["orders"], "data": {"total": [{"numeric": [">", 100]}]}}' \
      --event '{"specversion": "1.0", "id": "1", "source": "orders", "type": "Order Created", "data": {"total": 150}}'
  millrace rules test --topology orders.yaml --handler order-processor --event @event.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			given := 0
			for _, s := range []string{patternArg, handler, route} {
				if s != "" {
					given++
				}
			}
			if given != 1 {
				return errors.New("give exactly one of --pattern, --handler and --route")
			}
			if eventArg == "" {
				return errors.New("--event is required")
			}
			if patternArg != "" && tf.topology != "" {
				return errors.New("--topology names where --handler or --route look for their filter; --pattern needs none")
			}
			stderr := cmd.ErrOrStderr()
			var p *pattern.Pattern
			if patternArg != "" {
				text, err := readArg("--pattern", patternArg)
				if err != nil {
					return err
				}
				var problems []pattern.Problem
				p, problems = pattern.Parse(text)
				if len(problems) > 0 {
					for _, pr := range problems {
						fmt.Fprintf(stderr, "%s:%s\n", argName("pattern", patternArg), pr.Error())
					}
					return invalidInput
				}
			} else {
				topo, err := config.Load(config.SourceOf(tf.topology, os.Getenv, ""))
				if err != nil {
					fmt.Fprintln(stderr, err)
					return invalidInput
				}
				if handler != "" {
					h, ok := topo.Handler(handler)
					if !ok {
						return fmt.Errorf("--handler %q: %s has no such handler", handler, topo.File)
					}
					p = h.Filter
				} else {
					r, ok := topo.Route(route)
					if !ok {
						return fmt.Errorf("--route %q: %s has no such route", route, topo.File)
					}
					p = r.Filter
				}
			}
			text, err := readArg("--event", eventArg)
			if err != nil {
				return err
			}
			ev, err := pattern.ParseEvent(text)
			if err != nil {
				fmt.Fprintf(stderr, "%s:%v\n", argName("event", eventArg), err)
				return invalidInput
			}
			defer ev.Release()
			out := cmd.OutOrStdout()
			if p == nil {
				// A handler or route without a filter takes every message.
				fmt.Fprintln(out, "match (no filter)")
				return nil
			}
			matched, field, why := p.Explain(ev)
			if matched {
				fmt.Fprintln(out, "match")
				return nil
			}
			fmt.Fprintf(out, "no match: %s: %s\n", field, why)
			return silent
		},
	}
	cmd.Flags().StringVar(&patternArg, "pattern", "", "the event pattern, as JSON or YAML, or @FILE")
	cmd.Flags().StringVar(&eventArg, "event", "", "the event, a CloudEvents JSON envelope, or @FILE")
	cmd.Flags().StringVar(&handler, "handler", "", "test the filter of this handler of the topology")
	cmd.Flags().StringVar(&route, "route", "", "test the filter of this route of the topology")
	tf.addTopology(cmd)
	return cmd
}

// readArg returns the value of a flag, or the contents of the file it names after @.
func readArg(flag, v string) ([]byte, error) {
	if path, ok := strings.CutPrefix(v, "@"); ok {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		return data, nil
	}
	return []byte(v), nil
}

// argName names where a flag's text came from in positioned problems: the file, or the
// flag.
func argName(flag, v string) string {
	if path, ok := strings.CutPrefix(v, "@"); ok {
		return path
	}
	return "--" + flag
}
