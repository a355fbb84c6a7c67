package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"

	"github.com/millrace/millrace/internal/server"
)

// listenPprof binds a debug server with the net/http/pprof handlers under /debug/pprof/
// on addr, apart from the chat's own listener. Its Run serves until ctx is done.
func listenPprof(addr string, logger *slog.Logger) (*server.HTTP, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return server.Listen(server.HTTPConfig{Addr: addr, Handler: mux, Logger: logger})
}

// runPprof serves h until ctx is done and logs a failure; the chat does not depend on it.
func runPprof(ctx context.Context, h *server.HTTP, logger *slog.Logger) {
	if err := h.Run(ctx); err != nil {
		logger.Error("pprof server stopped", "error", err)
	}
}
