package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"golang.org/x/time/rate"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/poison"
	"github.com/millrace/millrace/topology"
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

// poisonSession holds the stores of the transports the selected poison topics live on.
type poisonSession struct {
	topo   *topology.Topology
	topics []poison.Topic
	stores map[string]poison.Store
	stderr io.Writer
}

// openPoison loads the topology and opens a store for each transport that holds a
// poison topic f may select. Topics on the in-memory transport are reported on stderr;
// if no topic is left the error says why.
func openPoison(topo *topology.Topology, f poison.Filter, stderr io.Writer) (*poisonSession, error) {
	all, err := poison.Topics(topo)
	if err != nil {
		return nil, err
	}
	s := &poisonSession{topo: topo, stores: map[string]poison.Store{}, stderr: stderr}
	var inMemory []string
	for _, t := range all {
		if f.Topic != "" && f.Topic != t.Name && !slices.Contains(t.Sources, f.Topic) {
			continue
		}
		if f.Handler != "" && len(t.Handlers) > 0 && !slices.Contains(t.Handlers, f.Handler) {
			continue
		}
		if _, ok := s.stores[t.Transport]; !ok {
			tr, _ := topo.Transport(t.Transport)
			if err := sqliteFileExists(tr); err != nil {
				s.Close()
				return nil, fmt.Errorf("poison topics on transport %s: %w", tr.Name, err)
			}
			st, err := poison.Open(tr)
			if errors.Is(err, poison.ErrInMemory) {
				inMemory = append(inMemory, t.Name)
				continue
			}
			if err != nil {
				s.Close()
				return nil, err
			}
			s.stores[t.Transport] = st
		}
		s.topics = append(s.topics, t)
	}
	if len(inMemory) > 0 {
		msg := fmt.Sprintf("%s: %v", strings.Join(inMemory, ", "), poison.ErrInMemory)
		if len(s.topics) == 0 {
			return nil, errors.New(msg)
		}
		fmt.Fprintln(stderr, "millrace: skipped", msg)
	}
	if len(s.topics) == 0 {
		s.Close()
		if f.Topic != "" || f.Handler != "" {
			return nil, fmt.Errorf("no poison topic of %s matches --topic %q --handler %q", topo.File, f.Topic, f.Handler)
		}
		return nil, fmt.Errorf("topology %s has no poison topic", topo.File)
	}
	return s, nil
}

// list returns the entries f selects, in topic order and store order within a topic.
func (s *poisonSession) list(ctx context.Context, f poison.Filter) ([]poison.Entry, error) {
	var out []poison.Entry
	for _, t := range s.topics {
		entries, err := s.stores[t.Transport].List(ctx, t.Name)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if f.Match(e) {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// store returns the store holding e.
func (s *poisonSession) store(e poison.Entry) poison.Store {
	for _, t := range s.topics {
		if t.Name == e.PoisonTopic {
			return s.stores[t.Transport]
		}
	}
	return nil
}

func (s *poisonSession) Close() {
	for name, st := range s.stores {
		if err := st.Close(); err != nil {
			fmt.Fprintf(s.stderr, "millrace: close poison store %s: %v\n", name, err)
		}
	}
}

// loadPoison loads the topology of the flags and opens the session for filter.
func loadPoison(cmd *cobra.Command, flags *poisonFlags, ids []string) (*poisonSession, poison.Filter, error) {
	f, err := flags.filter(ids)
	if err != nil {
		return nil, f, err // usage
	}
	topo, err := flags.load(cmd)
	if err != nil {
		return nil, f, err
	}
	s, err := openPoison(topo, f, cmd.ErrOrStderr())
	if err != nil {
		return nil, f, fail(err)
	}
	return s, f, nil
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
				return fail(err)
			}
			if format == "json" {
				return fail(writeEntriesJSON(cmd.OutOrStdout(), entries))
			}
			return fail(writeEntriesTable(cmd.OutOrStdout(), entries))
		},
	}
	flags.add(cmd)
	flags.addFilters(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

// reasonWidth is how much of a reason the table shows.
const reasonWidth = 60

func writeEntriesTable(out io.Writer, entries []poison.Entry) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTOPIC\tHANDLER\tATTEMPTS\tPOISONED AT\tREASON")
	for _, e := range entries {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", e.ID(), orDash(e.Topic()), orDash(e.Handler()),
			e.Attempts(), formatTime(e.Time()), truncate(oneLine(e.Reason()), reasonWidth))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "%d poisoned message(s)\n", len(entries))
	return err
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// entryJSON is the JSON form of an entry.
type entryJSON struct {
	ID          string            `json:"id"`
	PoisonTopic string            `json:"poison_topic"`
	Topic       string            `json:"topic"`
	Handler     string            `json:"handler"`
	Attempts    int               `json:"attempts"`
	Replayed    int               `json:"replayed"`
	Time        *time.Time        `json:"time,omitempty"`
	Reason      string            `json:"reason"`
	Correlation string            `json:"correlation_id,omitempty"`
	Type        string            `json:"type,omitempty"`
	Metadata    map[string]string `json:"metadata"`
	Payload     json.RawMessage   `json:"payload"`
}

func toJSON(e poison.Entry) entryJSON {
	j := entryJSON{
		ID: e.ID(), PoisonTopic: e.PoisonTopic, Topic: e.Topic(), Handler: e.Handler(),
		Attempts: e.Attempts(), Replayed: e.Replayed(), Reason: e.Reason(),
		Correlation: event.CorrelationID(e.Message), Type: event.MessageType(e.Message),
		Metadata: e.Message.Metadata, Payload: payloadJSON(e.Message.Payload),
	}
	if t := e.Time(); !t.IsZero() {
		t = t.UTC()
		j.Time = &t
	}
	return j
}

// payloadJSON is payload itself if it is JSON, else payload as a JSON string.
func payloadJSON(payload []byte) json.RawMessage {
	if json.Valid(payload) && len(bytes.TrimSpace(payload)) > 0 {
		return json.RawMessage(payload)
	}
	b, _ := json.Marshal(string(payload))
	return b
}

func writeEntriesJSON(out io.Writer, entries []poison.Entry) error {
	list := make([]entryJSON, 0, len(entries))
	for _, e := range entries {
		list = append(list, toJSON(e))
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(list)
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
				return fail(err)
			}
			if len(entries) == 0 {
				return fail(fmt.Errorf("%s: %w", args[0], poison.ErrNotFound))
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

func writeEntry(out io.Writer, e poison.Entry) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "id:\t%s\n", e.ID())
	fmt.Fprintf(w, "poison topic:\t%s\n", e.PoisonTopic)
	fmt.Fprintf(w, "topic:\t%s\n", orDash(e.Topic()))
	fmt.Fprintf(w, "handler:\t%s\n", orDash(e.Handler()))
	fmt.Fprintf(w, "attempts:\t%d\n", e.Attempts())
	fmt.Fprintf(w, "replayed:\t%d\n", e.Replayed())
	fmt.Fprintf(w, "poisoned at:\t%s\n", formatTime(e.Time()))
	fmt.Fprintf(w, "reason:\t%s\n", e.Reason())
	_ = w.Flush()
	fmt.Fprintln(out, "metadata:")
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	keys := make([]string, 0, len(e.Message.Metadata))
	for k := range e.Message.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s\t%s\n", k, e.Message.Metadata[k])
	}
	_ = w.Flush()
	fmt.Fprintln(out, "payload:")
	fmt.Fprintln(out, prettyPayload(e.Message.Payload))
}

// prettyPayload indents a JSON payload and quotes any other.
func prettyPayload(p []byte) string {
	var buf bytes.Buffer
	if json.Valid(p) && json.Indent(&buf, p, "", "  ") == nil {
		return buf.String()
	}
	return strconv.Quote(string(p))
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

// parseRate reads "N/s", "N/m" or "N" (per second); "" is no limit.
func parseRate(s string) (*rate.Limiter, error) {
	if s == "" {
		return nil, nil
	}
	num, unit, _ := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("--rate %q: want a positive number per second, such as 10/s", s)
	}
	per := time.Second
	switch unit {
	case "", "s":
	case "m":
		per = time.Minute
	default:
		return nil, fmt.Errorf("--rate %q: unit must be s or m", s)
	}
	return rate.NewLimiter(rate.Limit(n/per.Seconds()), 1), nil
}

type replayOptions struct {
	dryRun  bool
	limit   int
	to      string
	limiter *rate.Limiter
}

func replay(cmd *cobra.Command, flags *poisonFlags, ids []string, opts replayOptions) error {
	s, f, err := loadPoison(cmd, flags, ids)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := cmd.Context()
	entries, err := s.list(ctx, f)
	if err != nil {
		return fail(err)
	}
	if len(ids) > 0 {
		if missing := missingIDs(ids, entries); len(missing) > 0 {
			return fail(fmt.Errorf("%s: %w", strings.Join(missing, ", "), poison.ErrNotFound))
		}
	}
	if opts.limit > 0 && len(entries) > opts.limit {
		entries = entries[:opts.limit]
	}
	out := cmd.OutOrStdout()
	target := func(e poison.Entry) string {
		if opts.to != "" {
			return opts.to
		}
		return e.Topic()
	}
	if opts.dryRun {
		for _, e := range entries {
			fmt.Fprintf(out, "would replay %s from %s to %s\n", e.ID(), e.PoisonTopic, orDash(target(e)))
		}
		fmt.Fprintf(out, "%d message(s) would be replayed (dry run)\n", len(entries))
		return nil
	}
	if len(entries) == 0 {
		fmt.Fprintln(out, "0 message(s) replayed")
		return nil
	}

	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, cleanup, err := bus.Provide(s.topo, logger)
	if err != nil {
		return fail(err)
	}
	defer cleanup()
	pub := b.Publisher()

	bar := newProgress(cmd.ErrOrStderr(), len(entries))
	var errs []error
	done := 0
	for _, e := range entries {
		if opts.limiter != nil {
			if err := opts.limiter.Wait(ctx); err != nil {
				errs = append(errs, fmt.Errorf("interrupted: %w", err))
				break
			}
		}
		topic := target(e)
		if topic == "" {
			errs = append(errs, fmt.Errorf("%s: no %s metadata; pass --to", e.ID(), "topic_poisoned"))
			continue
		}
		if err := refuseInMemory(s.topo, topic, "a replayed message"); err != nil {
			errs = append(errs, fmt.Errorf("replay %s: %w; it stays in %s", e.ID(), err, e.PoisonTopic))
			continue
		}
		if err := pub.Publish(topic, poison.Replay(e)); err != nil {
			errs = append(errs, fmt.Errorf("replay %s to %s: %w", e.ID(), topic, err))
			continue
		}
		if err := s.store(e).Remove(ctx, e.PoisonTopic, e.Ref); err != nil {
			errs = append(errs, fmt.Errorf("replayed %s to %s but could not remove it from %s (it may be replayed again): %w", e.ID(), topic, e.PoisonTopic, err))
			continue
		}
		done++
		if bar != nil {
			_ = bar.Add(1)
		} else {
			fmt.Fprintf(out, "replayed %s from %s to %s\n", e.ID(), e.PoisonTopic, topic)
		}
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("interrupted: %w", ctx.Err()))
			break
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	fmt.Fprintf(out, "%d of %d message(s) replayed\n", done, len(entries))
	return fail(errors.Join(errs...))
}

// missingIDs returns the ids no entry has.
func missingIDs(ids []string, entries []poison.Entry) []string {
	var missing []string
	for _, id := range ids {
		if !slices.ContainsFunc(entries, func(e poison.Entry) bool { return e.ID() == id }) {
			missing = append(missing, id)
		}
	}
	return missing
}

// newProgress returns a progress bar on w for n steps when w is a terminal and the run
// is long, else nil.
func newProgress(w io.Writer, n int) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if !ok || n < progressMin || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("replaying"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)
}

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
			return fail(err)
		},
	}
	flags.add(cmd)
	flags.addFilters(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "purge every message the filters select")
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the deletion")
	return cmd
}

// purge deletes what f selects: whole poison topics when f is empty, else the listed
// entries.
func purge(ctx context.Context, s *poisonSession, f poison.Filter) (int, error) {
	n := 0
	if f.Empty() {
		for _, t := range s.topics {
			k, err := s.stores[t.Transport].Purge(ctx, t.Name)
			n += k
			if err != nil {
				return n, err
			}
		}
		return n, nil
	}
	entries, err := s.list(ctx, f)
	if err != nil {
		return 0, err
	}
	byTopic := map[string][]string{}
	for _, e := range entries {
		byTopic[e.PoisonTopic] = append(byTopic[e.PoisonTopic], e.Ref)
	}
	for _, t := range s.topics {
		refs := byTopic[t.Name]
		if len(refs) == 0 {
			continue
		}
		if err := s.stores[t.Transport].Remove(ctx, t.Name, refs...); err != nil {
			return n, err
		}
		n += len(refs)
	}
	return n, nil
}
