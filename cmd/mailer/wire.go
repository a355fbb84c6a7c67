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

// initMailer builds the mailer of the topology src names, sending over SMTP.
func initMailer(ctx context.Context, src config.Source, s signup.Settings, logger *slog.Logger) (*signup.Mailer, func(), error) {
	wire.Build(config.ProviderSet, observability.ProviderSet, wire.Value(observability.ServiceName("mailer")), signup.MailerSet)
	return nil, nil, nil
}
