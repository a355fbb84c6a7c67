//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/examples/registration/mailer"
	"github.com/millrace/millrace/examples/registration/setup"
	"github.com/millrace/millrace/internal/observability"
)

// initMailer builds the mailer of the topology src names, sending over SMTP.
func initMailer(ctx context.Context, src config.Source, s setup.Settings, logger *slog.Logger) (*mailer.Mailer, func(), error) {
	wire.Build(config.ProviderSet, observability.ProviderSet, wire.Value(observability.ServiceName("mailer")), mailer.Set)
	return nil, nil, nil
}
