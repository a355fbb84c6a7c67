//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/examples/registration/setup"
	"github.com/millrace/millrace/examples/registration/users"
	"github.com/millrace/millrace/internal/observability"
)

// initUsers builds the users service of the topology src names.
func initUsers(ctx context.Context, src config.Source, s setup.Settings, logger *slog.Logger) (*users.Users, func(), error) {
	wire.Build(config.ProviderSet, observability.ProviderSet, wire.Value(observability.ServiceName("users")), users.Set)
	return nil, nil, nil
}
