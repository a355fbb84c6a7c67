//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/examples/registration"
	"github.com/millrace/millrace/internal/observability"
)

// initUsers builds the users service of the topology src names.
func initUsers(ctx context.Context, src config.Source, s registration.Settings, logger *slog.Logger) (*registration.Users, func(), error) {
	wire.Build(config.ProviderSet, observability.ProviderSet, wire.Value(observability.ServiceName("users")), registration.UsersSet)
	return nil, nil, nil
}
