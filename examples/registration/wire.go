//go:build wireinject

package registration

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/topology"
)

// Build assembles an App from the same providers the binaries use, sending email
// through sender. Without s.PublicURL, verification links point at the address the
// users HTTP server listens on (a ":0" port resolved). The cleanup closes everything in
// reverse order.
func Build(ctx context.Context, topo *topology.Topology, s Settings, sender mail.Sender, logger *slog.Logger) (*App, func(), error) {
	wire.Build(observability.ProviderSet, wire.Value(ServiceRegistration), AppSet)
	return nil, nil, nil
}
