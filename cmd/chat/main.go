// Command chat is the online chat of the chat example: a page at / and a WebSocket at
// /ws?room=<room>&name=<name>, sharing rooms with every other instance through the
// topology's broadcast chat topics. It stops in stages on SIGINT or SIGTERM
// (internal/service). Its settings are listed by -help and in examples/chat/README.md.
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
