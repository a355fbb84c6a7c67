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

// initMailer builds the mailer of the topology src names, sending over SMTP.
func initMailer(ctx context.Context, src config.Source, s registration.Settings, logger *slog.Logger) (*registration.Mailer, func(), error) {
	wire.Build(config.ProviderSet, observability.ProviderSet, wire.Value(observability.ServiceName("mailer")), registration.MailerSet)
	return nil, nil, nil
}
