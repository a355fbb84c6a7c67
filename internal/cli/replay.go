package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"golang.org/x/time/rate"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/poison"
)

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
		return Fail(err)
	}
	if len(ids) > 0 {
		if missing := missingIDs(ids, entries); len(missing) > 0 {
			return Fail(fmt.Errorf("%s: %w", strings.Join(missing, ", "), poison.ErrNotFound))
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

	b, cleanup, err := bus.Provide(s.topo, warnLogger(cmd))
	if err != nil {
		return Fail(err)
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
	return Fail(errors.Join(errs...))
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
