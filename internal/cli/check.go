package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
)

func newCheckCommand(connect Connector) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "check [FILE|PROFILE]",
		Short: "Connect to every transport of a topology and report whether each answers",
		Long: `Check loads the topology, opens every transport a topic uses and pings it, and prints
one line per transport: "NAME: ok", or "NAME: fail: REASON" when it does not answer
within --timeout. It exits 1 when any transport fails.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return Fail(check(ctx, connect, sourceArg(args), warnLogger(cmd), cmd.OutOrStdout()))
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for every transport to answer")
	return cmd
}

// check connects to every transport of the topology src names, pings them all at once
// and prints one line per transport on out.
func check(ctx context.Context, connect Connector, src config.Source, logger *slog.Logger, out io.Writer) error {
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
			fmt.Fprintf(out, "%s: fail: %v\n", name, errs[i])
			continue
		}
		fmt.Fprintf(out, "%s: ok\n", name)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d transports do not answer: %s", len(failed), len(names), strings.Join(failed, ", "))
	}
	return nil
}
