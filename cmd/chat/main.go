// Command chat is the millrace online chat: it serves a page at / and a WebSocket at
// /ws?room=<room>&name=<name>, and shares rooms with every other instance through the
// broker of the topology's chat topics (delivery: broadcast).
//
// Settings (flag, else environment variable, else default):
//
//	-topology  MILLRACE_TOPOLOGY      profile name or YAML path (default redis)
//	-http-addr MILLRACE_HTTP_ADDR     listen address (default :8080)
//	-shutdown-timeout MILLRACE_SHUTDOWN_TIMEOUT bound of each shutdown step (default 15s)
//	-history   MILLRACE_CHAT_HISTORY  "memory" or a transport name of the topology
//	                                  (default: chosen from the topology)
//	-origins   MILLRACE_CHAT_ORIGINS  comma-separated extra origins allowed to connect
//	-log-level MILLRACE_LOG_LEVEL     debug, info, warn or error (default info)
//	-pprof     MILLRACE_PPROF_ADDR    address of a separate debug listener serving
//	                                  net/http/pprof at /debug/pprof/ (default: none;
//	                                  keep it on loopback, e.g. 127.0.0.1:6060)
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
	"strings"
	"syscall"

	"github.com/millrace/millrace/examples/chat"
	"github.com/millrace/millrace/internal/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// run parses args and runs the chat until ctx is done. ready, when not nil, receives
// the app once it listens.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, ready func(*chat.App)) int {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := service.RegisterFlags(fs, service.Defaults{Topology: "redis", HTTPAddr: chat.DefaultAddr})
	history := fs.String("history", env("MILLRACE_CHAT_HISTORY", ""), `history store: "memory" or a transport name (default: from the topology)`)
	origins := fs.String("origins", env("MILLRACE_CHAT_ORIGINS", ""), "comma-separated origins allowed to connect besides the page's own")
	pprofAddr := fs.String("pprof", env("MILLRACE_PPROF_ADDR", ""), "debug listener address serving /debug/pprof/ (default: none)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	s, err := flags.Resolve(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "chat: %v\n", err)
		return 2
	}
	logger, err := s.Logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "chat: %v\n", err)
		return 1
	}
	var allowed chat.Origins
	for _, o := range strings.Split(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			allowed = append(allowed, o)
		}
	}
	app, cleanup, err := build(ctx, s, chat.HistoryStore(*history), allowed, logger)
	if err != nil {
		logger.Error("start chat", "error", err)
		return 1
	}
	defer cleanup()
	if *pprofAddr != "" {
		dbg, err := listenPprof(*pprofAddr, logger)
		if err != nil {
			logger.Error("start pprof server", "error", err)
			return 1
		}
		pctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			runPprof(pctx, dbg, logger)
		}()
		defer func() {
			stop()
			<-done
		}()
		logger.Info("pprof listening", "addr", dbg.Addr())
	}
	if ready != nil {
		ready(app)
	}
	logger.Info("chat listening", "addr", app.Addr(), "topology", s.Topology)
	if err := app.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("chat stopped", "error", err)
		return 1
	}
	return 0
}
