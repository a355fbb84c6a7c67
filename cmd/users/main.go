// Command users is the users service of the registration example: the HTTP API
// (POST /users, GET /users/verify, GET /users/{id}, GET /stats), the outbox relay that
// moves users.* events from the users database to their transport, and the
// update-user-stats handler. Its log names the URL it is reached at, the mailer's
// MILLRACE_PUBLIC_URL when that is not http://localhost:8081. The same server answers GET /metrics (Prometheus),
// GET /healthz (liveness) and GET /readyz (every transport and the users database);
// requests and messages are traced when the OTEL_* variables configure an exporter.
//
// On SIGINT or SIGTERM it reports "draining" on /readyz, stops the HTTP server
// (requests in flight finish), then stops the relay and the handler (messages in
// flight finish) and closes the publishers and connections; each step waits at most
// the shutdown timeout.
//
// Settings (flag, else environment variable, else default):
//
//	-topology     MILLRACE_TOPOLOGY             profile name or YAML path (default local)
//	-database-dsn MILLRACE_DATABASE_DSN         users database (default: the DSN of the
//	                                            outbox transport of users.registered)
//	-http-addr    MILLRACE_HTTP_ADDR            listen address (default :8081)
//	-outbox-poll  MILLRACE_OUTBOX_POLL_INTERVAL relay poll interval (default 10ms)
//	-outbox-in-flight MILLRACE_OUTBOX_IN_FLIGHT events the relay publishes at once;
//	                                            1 keeps commit order (default 16)
//	-token-ttl    MILLRACE_TOKEN_TTL            verification link lifetime (default 24h)
//	-shutdown-timeout MILLRACE_SHUTDOWN_TIMEOUT bound of each shutdown step (default 15s)
//	-log-level    MILLRACE_LOG_LEVEL            debug, info, warn or error (default info)
//	              MILLRACE_TOPIC_PREFIX         prefix of every event topic (default none)
//	              MILLRACE_OUTBOX_TOPIC         outbox table watermill_<topic> (default outbox)
//
// Exit status: 0 after a clean shutdown (SIGINT, SIGTERM), 1 on failure, 2 on a usage
// error.
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
