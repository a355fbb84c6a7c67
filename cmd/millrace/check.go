package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
)

func newCheckCommand() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "check [FILE|PROFILE]",
		Short: "Connect to every transport of a topology and report whether each answers",
		Long: `Check loads the topology, opens every transport a topic uses and pings it. It exits
1 naming each transport that does not answer within --timeout.`,
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
	if err := b.Ping(ctx); err != nil {
		return err
	}
	for _, name := range b.TransportNames() {
		fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", name)
	}
	return nil
}
