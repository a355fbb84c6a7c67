package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
)

func newCheckCommand() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "check [FILE|PROFILE]",
		Short: "Connect to every transport of a topology and report whether each answers",
		Long: `Check loads the topology, opens every transport a topic uses and pings it, and prints
one line per transport: "NAME: ok", or "NAME: fail: REASON" when it does not answer
within --timeout. It exits 1 when any transport fails.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return fail(check(ctx, sourceArg(args), logger, cmd))
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for every transport to answer")
	return cmd
}

func check(ctx context.Context, src config.Source, logger *slog.Logger, cmd *cobra.Command) error {
	b, cleanup, err := connect(src, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	// Every transport is pinged at once, so one that hangs until the timeout does not
	// leave the others no time.
	names := b.TransportNames()
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { errs[i] = b.PingTransport(ctx, name) })
	}
	wg.Wait()
	var failed []string
	for i, name := range names {
		if errs[i] != nil {
			failed = append(failed, name)
			fmt.Fprintf(cmd.OutOrStdout(), "%s: fail: %v\n", name, errs[i])
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", name)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d transports do not answer: %s", len(failed), len(names), strings.Join(failed, ", "))
	}
	return nil
}
