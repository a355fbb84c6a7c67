// Command users is the users service of the registration example: the HTTP API, the
// outbox relay of users.* events and the update-user-stats handler, with /metrics,
// /healthz and /readyz. It stops in stages on SIGINT or SIGTERM (internal/service).
// Its settings are listed by -help and in examples/registration/README.md.
//
// Exit status: 0 after a clean shutdown, 1 on failure, 2 on a usage error.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/millrace/millrace/examples/registration/setup"
	"github.com/millrace/millrace/examples/registration/users"
	"github.com/millrace/millrace/internal/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// run parses args and serves until ctx is done. ready, when not nil, receives the
// service once it listens.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, ready func(*users.Users)) int {
	s, err := setup.FromEnv(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "users: %v\n", err)
		return 2
	}
	fs := flag.NewFlagSet("users", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := service.RegisterFlags(fs, service.Defaults{HTTPAddr: setup.DefaultHTTPAddr})
	s.RegisterFlags(fs, "database-dsn", "outbox-poll", "outbox-in-flight", "token-ttl")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	common, err := flags.Resolve(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "users: %v\n", err)
		return 2
	}
	s.UseCommon(common)
	logger, err := common.Logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "users: %v\n", err)
		return 1
	}
	svc, cleanup, err := initUsers(ctx, common.Topology, s, logger)
	if err != nil {
		logger.Error("start users service", "error", err)
		return 1
	}
	defer cleanup()
	logger.Info("users service listening", "addr", svc.HTTP.Addr(), "url", setup.BaseURL(svc.HTTP.Addr()), "topology", common.Topology)
	if ready != nil {
		ready(svc)
	}
	if err := svc.Run(ctx); err != nil {
		logger.Error("users service failed", "error", err)
		return 1
	}
	return 0
}
