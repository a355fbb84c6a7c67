// Command mailer is the mailer of the registration example: it runs the
// send-verification-email (users.registered) and send-welcome-email (users.verified)
// handlers, sends their emails over SMTP and publishes mail.sent, and logs each email
// sent by Message-ID and user id. Its HTTP server answers only GET /metrics
// (Prometheus), GET /healthz (liveness) and GET /readyz (every transport, the users
// database and the SMTP server, connected to at most every 5 s); messages are traced
// when the OTEL_* variables configure an exporter.
//
// On SIGINT or SIGTERM it reports "draining" on /readyz, stops consuming and lets the
// handlers in flight finish (at most the shutdown timeout), then stops the HTTP server
// and closes the publishers and connections.
//
// Settings (flag, else environment variable, else default):
//
//	-topology     MILLRACE_TOPOLOGY      profile name or YAML path (default local)
//	-database-dsn MILLRACE_DATABASE_DSN  users database, shared with cmd/users (default:
//	                                     the DSN of the outbox transport of users.registered)
//	-smtp-addr    MILLRACE_SMTP_ADDR     SMTP server (default 127.0.0.1:1025)
//	-from         MILLRACE_MAIL_FROM     sender address
//	-public-url   MILLRACE_PUBLIC_URL    base URL of verification links, the users service's
//	                                     address (default http://localhost:8081, from the
//	                                     users service's default :8081; the log says which)
//	-token-ttl    MILLRACE_TOKEN_TTL     verification link lifetime (default 24h)
//	-http-addr    MILLRACE_HTTP_ADDR     metrics and health listen address (default :8082)
//	-shutdown-timeout MILLRACE_SHUTDOWN_TIMEOUT  bound of each shutdown step (default 15s)
//	-log-level    MILLRACE_LOG_LEVEL     debug, info, warn or error (default info)
//	              MILLRACE_TOPIC_PREFIX  prefix of every event topic (default none)
//
// Exit status: 0 after a clean shutdown (SIGINT, SIGTERM), 1 on failure, 2 on a usage
// error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/millrace/millrace/examples/registration/mailer"
	"github.com/millrace/millrace/examples/registration/setup"
	"github.com/millrace/millrace/internal/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// errFlags is the error of args that the flag set has already reported.
var errFlags = errors.New("bad flags")

// settings returns the mailer's settings from args, else the environment, else the
// defaults; its HTTP address defaults to setup.DefaultMailerHTTPAddr. It
// returns errFlags when fs has reported the args' problem on its output.
func settings(fs *flag.FlagSet, args []string, getenv func(string) string) (setup.Settings, service.Settings, error) {
	s, err := setup.FromEnv(getenv)
	if err != nil {
		return s, service.Settings{}, err
	}
	flags := service.RegisterFlags(fs, service.Defaults{HTTPAddr: setup.DefaultMailerHTTPAddr})
	s.RegisterFlags(fs, "database-dsn", "smtp-addr", "from", "public-url", "token-ttl")
	if err := fs.Parse(args); err != nil {
		return s, service.Settings{}, errFlags
	}
	common, err := flags.Resolve(getenv)
	if err != nil {
		return s, common, err
	}
	s.UseCommon(common)
	return s, common, nil
}

// run parses args and runs the mailer until ctx is done. ready, when not nil, receives
// the mailer once its handlers consume.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, ready func(*mailer.Mailer)) int {
	fs := flag.NewFlagSet("mailer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s, common, err := settings(fs, args, getenv)
	if err != nil {
		if !errors.Is(err, errFlags) {
			fmt.Fprintf(stderr, "mailer: %v\n", err)
		}
		return 2
	}
	logger, err := common.Logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "mailer: %v\n", err)
		return 1
	}
	m, cleanup, err := initMailer(ctx, common.Topology, s, logger)
	if err != nil {
		logger.Error("start mailer", "error", err)
		return 1
	}
	defer cleanup()
	logger.Info("mailer running", "smtp", s.SMTPAddr, "addr", m.HTTP.Addr(), "topology", common.Topology)
	if ready != nil {
		go func() {
			select {
			case <-m.Router.Running():
				ready(m)
			case <-ctx.Done():
			}
		}()
	}
	if err := m.Run(ctx); err != nil {
		logger.Error("mailer failed", "error", err)
		return 1
	}
	return 0
}
