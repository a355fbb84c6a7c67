package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newProbeCommand() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "probe URL|HOST:PORT[/PATH]",
		Short: "Exit 0 when an HTTP endpoint answers 2xx (a container health check)",
		Long: `Probe sends GET URL and exits 0 when the answer is 2xx within --timeout, 1 otherwise.
An address without a scheme is taken as http (127.0.0.1:8081/readyz). Container images
without a shell or curl use it as their health check, e.g.
  millrace probe http://127.0.0.1:8081/readyz`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return Fail(probe(ctx, args[0]))
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return cmd
}

func probe(ctx context.Context, url string) error {
	url = probeURL(url)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("probe %s: %s", url, resp.Status)
	}
	return nil
}

// probeURL returns target as an http URL: HOST:PORT[/PATH] gets the scheme http://.
func probeURL(target string) string {
	if strings.Contains(target, "://") {
		return target
	}
	return "http://" + target
}
