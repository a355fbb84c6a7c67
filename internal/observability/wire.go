package observability

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/topology"
)

// ServiceName names the service in traces.
type ServiceName string

// ProviderSet provides *Observability and an observed *bus.Bus: use it instead of
// bus.ProviderSet.
var ProviderSet = wire.NewSet(Provide, ProvideBus)

// Provide builds the service's observability for wire injectors, with the delivery
// log of topo's trace section; the cleanup flushes the last spans and logs a failure.
func Provide(ctx context.Context, name ServiceName, topo *topology.Topology, logger *slog.Logger) (*Observability, func(), error) {
	o, err := New(ctx, Config{Service: string(name), Logger: logger, Topology: topo})
	if err != nil {
		return nil, nil, err
	}
	return o, func() {
		if err := o.Close(ctx); err != nil {
			logger.Error("close observability", "error", err)
		}
	}, nil
}

// ProvideBus opens the bus like bus.Provide, with publish metrics, trace propagation
// and a readiness check per transport. The cleanup closes the bus.
func ProvideBus(topo *topology.Topology, o *Observability, logger *slog.Logger) (*bus.Bus, func(), error) {
	b, err := o.OpenBus(topo, busOptions(logger))
	if err != nil {
		return nil, nil, err
	}
	return b, func() {
		if err := b.Close(); err != nil {
			logger.Error("close bus", "error", err)
		}
	}, nil
}
