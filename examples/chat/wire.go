package chat

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/millrace/millrace/examples/chat/room"
	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/service"
	"github.com/millrace/millrace/topology"
)

// Origins are the origins allowed to open a WebSocket besides the page's own.
type Origins []string

// ProviderSet provides an *App and its history store from a topology, a bus, the
// service settings and a logger, for wire injectors. Provide only maps its inputs to a
// Config: the binary and the in-process callers of New build the same graph.
var ProviderSet = wire.NewSet(Provide, ProvideHistory)

// ProvideHistory opens the history store (see OpenHistory) for the default chat topics.
func ProvideHistory(ctx context.Context, topo *topology.Topology, store HistoryStore, logger *slog.Logger) (room.History, func(), error) {
	return OpenHistory(ctx, topo, store, room.DefaultMessagesTopic, HistoryOptions{}, logger)
}

// Provide builds the App on the default chat topics, listening on s.HTTPAddr and
// stopping within s.ShutdownTimeout per step; the cleanup releases it.
func Provide(topo *topology.Topology, b *bus.Bus, history room.History, logger *slog.Logger, s service.Settings, origins Origins, o *observability.Observability) (*App, func(), error) {
	app, err := New(Config{
		Topology: topo, Bus: b, History: history, Logger: logger, Addr: s.HTTPAddr, ShutdownTimeout: s.ShutdownTimeout,
		Chat: room.Config{OriginPatterns: origins}, Observability: o,
	})
	if err != nil {
		return nil, nil, err
	}
	return app, func() {
		if err := app.Close(); err != nil {
			logger.Error("close chat", "error", err)
		}
	}, nil
}
