package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/internal/scaffold"
)

func newNewCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "new",
		Short: "Scaffold a service or a handler in the project's layout",
		Long: `New writes the files of a new service or handler into the millrace checkout in --dir
(default: the current folder) and prints what to run next. It never overwrites a file.`,
	}
	cmd.PersistentFlags().StringVar(&dir, "dir", ".", "root of the millrace checkout (the folder of go.mod)")
	cmd.AddCommand(newNewServiceCommand(&dir), newNewHandlerCommand(&dir))
	return cmd
}

func newNewServiceCommand(dir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "service NAME",
		Short: "Scaffold a service: examples/<pkg> (assembly, handler list, wire set, README), handlers/<pkg> and cmd/NAME",
		Long: `Service writes examples/<pkg>/ (the service assembly with its router and HTTP server,
the Handlers list, the wire ProviderSet and a README), handlers/<pkg>/ (its handler
package) and cmd/NAME/ (a thin main, its test and the wire injector). NAME is lowercase letters, digits and hyphens; <pkg> is NAME without hyphens.`,
		Example: `  millrace new service orders`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := scaffold.Open(*dir)
			if err != nil {
				return Fail(err)
			}
			plan, err := p.NewService(args[0])
			if err != nil {
				return err
			}
			return applyPlan(cmd.OutOrStdout(), p, plan)
		},
	}
}

func newNewHandlerCommand(dir *string) *cobra.Command {
	var o scaffold.HandlerOptions
	cmd := &cobra.Command{
		Use:   "handler NAME --event PKG.TYPE --topic TOPIC",
		Short: "Scaffold a handler: its typed event, handler and test, and its topology entries",
		Long: `Handler writes handlers/<service>/<name>.go and its test, adds the event type to
examples/<service>/<pkg> (unless it exists, there or as another examples/*/<pkg>), adds the topic (unless declared) and the handler entry to every
profile in config/ in place (comments and order kept), and lists the handler in the
service that runs it (--service; default: the service named like the event's package,
else the only scaffolded service).

A topic not declared in a profile needs a transport there: --transport NAME for every
profile that declares NAME, --transport PROFILE=NAME for one profile, or --like TOPIC for
the transport of an existing topic.`,
		Example: `  millrace new handler ship-order --service orders --event orders.OrderPlaced --topic orders.placed --like mail.sent
  millrace new handler audit --event orders.OrderPlaced --topic orders.placed --service audit`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			p, err := scaffold.Open(*dir)
			if err != nil {
				return Fail(err)
			}
			plan, err := p.NewHandler(o)
			if err != nil {
				return err
			}
			return applyPlan(cmd.OutOrStdout(), p, plan)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Event, "event", "", "event type handled: PKG.Type (examples/<service>/PKG), or Type in the --service package")
	f.StringVar(&o.Topic, "topic", "", "topic of the event (its EventName when the event is new)")
	f.StringVar(&o.Service, "service", "", "service that runs the handler: handlers/<service> and the list in examples/<service>/handlers.go (default: the service named like the event's package, else the only scaffolded service)")
	f.StringSliceVar(&o.Transports, "transport", nil, "transport of the topic where it is new: NAME or PROFILE=NAME (repeatable)")
	f.StringVar(&o.Like, "like", "", "declare a new topic on the transport of this topic in each profile")
	_ = cmd.MarkFlagRequired("event")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

// applyPlan writes plan and prints what it did and what to run next.
func applyPlan(w io.Writer, p *scaffold.Project, plan *scaffold.Plan) error {
	if err := plan.Apply(p.Root); err != nil {
		return Fail(err)
	}
	for _, f := range plan.Create {
		fmt.Fprintln(w, "created ", f.Path)
	}
	for _, f := range plan.Edit {
		fmt.Fprintln(w, "edited  ", f.Path)
	}
	for _, n := range plan.Notes {
		fmt.Fprintln(w, "note:   ", n)
	}
	if len(plan.Manual) > 0 {
		fmt.Fprintln(w, "\nAdd by hand (these files could not be edited in place):")
		for _, m := range plan.Manual {
			fmt.Fprintln(w, indent(m, "  "))
		}
	}
	fmt.Fprintln(w, "\nNext steps:")
	for i, s := range plan.Next {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s)
	}
	return nil
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
