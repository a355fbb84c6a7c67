package cli

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/internal/poison"
)

func newPoisonCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "poison",
		Short: "List, show, replay and purge poisoned messages on any transport",
		Long: `The poison commands work on the poison topics of a topology (each handler's poison
topic for each of its topics, and the poison topics the loader derived), wherever the
topology puts them:

  SQL          rows of the topic's messages table, read with SELECT
  Redis        entries of the topic's stream, read with XRANGE
  RabbitMQ     the messages of the queue <topic>.poison-store, taken without
               acknowledging on one channel that is then closed, so RabbitMQ requeues
               every one at its place (it marks them redelivered)
  in-memory    not readable: those queues live in the service's process (the local
               profile keeps its poison topics in SQLite; --data DIR reads those of
               a demo started with --data DIR)

A message is named by its message UUID on every transport. Listing never consumes a
message.`,
	}
	cmd.AddCommand(newPoisonListCommand(), newPoisonShowCommand(), newPoisonReplayCommand(), newPoisonPurgeCommand())
	return cmd
}

// poisonFlags are the topology and filter flags the poison commands share.
type poisonFlags struct {
	topologyFlags
	topic        string
	handler      string
	reason       string
	since, until string
}

func (f *poisonFlags) addFilters(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.topic, "topic", "", "only messages poisoned from this topic (or kept on this poison topic)")
	cmd.Flags().StringVar(&f.handler, "handler", "", "only messages this handler poisoned")
	cmd.Flags().StringVar(&f.reason, "reason", "", "only messages whose reason contains this text (any case)")
	cmd.Flags().StringVar(&f.since, "since", "", "only messages poisoned at or after this time (RFC 3339, or a duration before now such as 1h)")
	cmd.Flags().StringVar(&f.until, "until", "", "only messages poisoned at or before this time (RFC 3339, or a duration before now)")
}

// filter returns the filter the flags describe; a bad time is a usage error.
func (f *poisonFlags) filter(ids []string) (poison.Filter, error) {
	now := time.Now()
	pf := poison.Filter{Topic: f.topic, Handler: f.handler, Reason: f.reason, IDs: ids}
	var errs []error
	if f.since != "" {
		t, err := poison.ParseTime(f.since, now)
		pf.Since, errs = t, append(errs, wrapFlag("since", err))
	}
	if f.until != "" {
		t, err := poison.ParseTime(f.until, now)
		pf.Until, errs = t, append(errs, wrapFlag("until", err))
	}
	return pf, errors.Join(errs...)
}

func wrapFlag(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("--%s: %w", name, err)
}

func newPoisonListCommand() *cobra.Command {
	var (
		flags  poisonFlags
		format string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List poisoned messages with their topic, handler, attempts, time and reason",
		Long: `List prints the poisoned messages of every poison topic of the topology that the
filters select, as a table (reason cut to fit) or, with --format json, as a JSON array
with every field. Nothing is consumed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q: want table or json", format)
			}
			s, f, err := loadPoison(cmd, &flags, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			entries, err := s.list(cmd.Context(), f)
			if err != nil {
				return Fail(err)
			}
			if format == "json" {
				return Fail(writeEntriesJSON(cmd.OutOrStdout(), entries))
			}
			return Fail(writeEntriesTable(cmd.OutOrStdout(), entries))
		},
	}
	flags.add(cmd)
	flags.addFilters(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

func newPoisonShowCommand() *cobra.Command {
	var flags poisonFlags
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Print a poisoned message: reason, attempts, metadata and payload",
		Long: `Show prints the poisoned message whose UUID is ID: where it was poisoned, why, after
how many attempts, all of its metadata and its payload (indented if it is JSON, else
quoted). If an interrupted replay left two copies, both are printed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, f, err := loadPoison(cmd, &flags, args)
			if err != nil {
				return err
			}
			defer s.Close()
			entries, err := s.list(cmd.Context(), f)
			if err != nil {
				return Fail(err)
			}
			if len(entries) == 0 {
				return Fail(fmt.Errorf("%s: %w", args[0], poison.ErrNotFound))
			}
			for i, e := range entries {
				if i > 0 {
					fmt.Fprintln(cmd.OutOrStdout())
				}
				writeEntry(cmd.OutOrStdout(), e)
			}
			return nil
		},
	}
	flags.add(cmd)
	return cmd
}

func newPoisonReplayCommand() *cobra.Command {
	var (
		flags  poisonFlags
		all    bool
		dryRun bool
		limit  int
		to     string
		rateS  string
	)
	cmd := &cobra.Command{
		Use:   "replay [ID...] [--all]",
		Short: "Publish poisoned messages back to their topic, then remove them",
		Long: `Replay publishes each chosen message (the IDs given, or with --all every message the
filters select) to the topic it was poisoned from, or to --to, through the topology, so
it reaches that topic's transport. It keeps the message's UUID, payload, correlation id
and metadata, drops the poisoning keys and counts the replay in the "replayed" metadata.

A message is removed from its poison topic only after its publish succeeded, so a replay
that is interrupted or killed never loses one; it may publish one twice, which handlers
must tolerate (they are idempotent by message id). A replayed message that fails again
is poisoned again by the router as usual. A message whose topic is on the in-memory
transport stays where it is: a publish from this process would reach no service.

With a terminal on stderr, runs of ` + strconv.Itoa(progressMin) + ` messages or more show a progress bar.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !all {
				return errors.New("name the messages to replay, or pass --all to replay every message the filters select")
			}
			if len(args) > 0 && all {
				return errors.New("give IDs or --all, not both")
			}
			if limit < 0 {
				return errors.New("--limit must not be negative")
			}
			limiter, err := parseRate(rateS)
			if err != nil {
				return err
			}
			return replay(cmd, &flags, args, replayOptions{dryRun: dryRun, limit: limit, to: to, limiter: limiter})
		},
	}
	flags.add(cmd)
	flags.addFilters(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "replay every message the filters select")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would be replayed and change nothing")
	cmd.Flags().IntVar(&limit, "limit", 0, "replay at most this many messages (0: no limit)")
	cmd.Flags().StringVar(&to, "to", "", "publish to this topic instead of the one each message was poisoned from")
	cmd.Flags().StringVar(&rateS, "rate", "", "replay at most this fast: N/s or N/m (N alone is per second; default: no limit)")
	return cmd
}

// progressMin is the smallest run that gets a progress bar.
const progressMin = 20

func newPoisonPurgeCommand() *cobra.Command {
	var (
		flags poisonFlags
		all   bool
		yes   bool
	)
	cmd := &cobra.Command{
		Use:   "purge ID...|--all --yes",
		Short: "Delete poisoned messages for good",
		Long: `Purge deletes the poisoned messages the IDs name or, with --all, every message the
filters select (every poisoned message of the topology when no filter is given). It
does nothing without --yes.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !all {
				return errors.New("name the messages to purge, or pass --all to purge every message the filters select")
			}
			if len(args) > 0 && all {
				return errors.New("give IDs or --all, not both")
			}
			if !yes {
				return errors.New("purge deletes messages for good: pass --yes to confirm (see 'millrace poison list' first)")
			}
			s, f, err := loadPoison(cmd, &flags, args)
			if err != nil {
				return err
			}
			defer s.Close()
			n, err := purge(cmd.Context(), s, f)
			fmt.Fprintf(cmd.OutOrStdout(), "%d message(s) purged\n", n)
			return Fail(err)
		},
	}
	flags.add(cmd)
	flags.addFilters(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "purge every message the filters select")
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the deletion")
	return cmd
}
