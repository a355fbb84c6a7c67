//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/signup"
)

// initUsers builds the users service of the topology src names.
func initUsers(ctx context.Context, src config.Source, s signup.Settings, logger *slog.Logger) (*signup.Users, func(), error) {
	wire.Build(config.ProviderSet, observability.ProviderSet, wire.Value(observability.ServiceName("users")), signup.UsersSet)
	return nil, nil, nil
}
