// Package server runs the long-lived parts of a service, such as HTTP servers and
// message routers, together: they start at once, the first to fail stops the others, and
// cancelling the context shuts every one down gracefully.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"
)

// DefaultShutdownTimeout bounds a graceful HTTP shutdown when none is configured.
const DefaultShutdownTimeout = 15 * time.Second

// Runner is a long-lived part of a service: it runs until ctx is done or it fails, and
// returns nil after a clean stop.
type Runner func(ctx context.Context) error

// Run runs every runner until ctx is done or one of them fails, then waits for all of
// them to return. It returns the first error.
func Run(ctx context.Context, runners ...Runner) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, r := range runners {
		g.Go(func() error { return r(ctx) })
	}
	return g.Wait()
}

// HTTP is an HTTP server with graceful shutdown. Listen binds it (an address of ":0"
// picks a free port, which Addr then reports); Run serves until its context is done.
type HTTP struct {
	srv             *http.Server
	ln              net.Listener
	shutdownTimeout time.Duration
	logger          *slog.Logger
}

// HTTPConfig configures an HTTP server.
type HTTPConfig struct {
	// Addr is the address to listen on, e.g. ":8081" or "127.0.0.1:0".
	Addr    string
	Handler http.Handler
	// ShutdownTimeout bounds how long Run waits for requests in flight after its
	// context is done (default DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

// Listen binds an HTTP server to cfg.Addr.
func Listen(cfg HTTPConfig) (*HTTP, error) {
	if cfg.Handler == nil {
		return nil, errors.New("http server: nil handler")
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("http server: listen on %s: %w", cfg.Addr, err)
	}
	return &HTTP{
		srv: &http.Server{
			Handler:           cfg.Handler,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		},
		ln:              ln,
		shutdownTimeout: cfg.ShutdownTimeout,
		logger:          cfg.Logger,
	}, nil
}

// Addr returns the address the server listens on.
func (h *HTTP) Addr() string { return h.ln.Addr().String() }

// Run serves until ctx is done, then stops accepting connections and waits up to the
// shutdown timeout for requests in flight.
func (h *HTTP) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- h.srv.Serve(h.ln) }()
	h.logger.Info("http server listening", "addr", h.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("http server on %s: %w", h.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.shutdownTimeout)
	defer cancel()
	if err := h.srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http server on %s: shutdown: %w", h.Addr(), err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server on %s: %w", h.Addr(), err)
	}
	h.logger.Info("http server stopped", "addr", h.Addr())
	return nil
}

// Close stops the server at once: it closes the listener, also of a server that was
// never run, and every connection.
func (h *HTTP) Close() error {
	err := h.srv.Close()
	if lerr := h.ln.Close(); lerr != nil && !errors.Is(lerr, net.ErrClosed) {
		err = errors.Join(err, lerr)
	}
	return err
}
