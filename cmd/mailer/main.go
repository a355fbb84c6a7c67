// Command mailer is the mailer of the registration example: the send-verification-email
// and send-welcome-email handlers, sending over SMTP, with /metrics, /healthz and
// /readyz (the SMTP server included). It stops in stages on SIGINT or SIGTERM
// (internal/service). Its settings are listed by -help and in
// examples/registration/README.md.
//
// Exit status: 0 after a clean shutdown, 1 on failure, 2 on a usage error.
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
