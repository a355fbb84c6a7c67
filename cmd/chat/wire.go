//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/examples/chat"
	"github.com/millrace/millrace/internal/observability"
)

// build loads the topology src names, opens its transports and the history store, and
// assembles the chat.
func build(ctx context.Context, src config.Source, store chat.HistoryStore, addr chat.Addr, origins chat.Origins, logger *slog.Logger) (*chat.App, func(), error) {
	wire.Build(config.ProviderSet, observability.ProviderSet, wire.Value(observability.ServiceName("chat")), chat.ProviderSet)
	return nil, nil, nil
}
