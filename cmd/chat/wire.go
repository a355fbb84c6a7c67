//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/examples/chat"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/service"
)

// build loads the topology s names, opens its transports and the history store, and
// assembles the chat.
func build(ctx context.Context, s service.Settings, store chat.HistoryStore, origins chat.Origins, logger *slog.Logger) (*chat.App, func(), error) {
	wire.Build(wire.FieldsOf(new(service.Settings), "Topology"), config.ProviderSet, observability.ProviderSet, wire.Value(observability.ServiceName("chat")), chat.ProviderSet)
	return nil, nil, nil
}
