package bus

import (
	"log/slog"
	"slices"

	"github.com/google/wire"

	"github.com/millrace/millrace/internal/logging"
	"github.com/millrace/millrace/topology"
)

// ProviderSet provides a *Bus from a topology and a logger; its cleanup closes the bus.
var ProviderSet = wire.NewSet(Provide)

// Provide opens a bus for wire injectors. The cleanup closes it and logs a close error.
func Provide(topo *topology.Topology, logger *slog.Logger) (*Bus, func(), error) {
	b, err := Open(topo, Options{Logger: logging.Watermill(logger)})
	if err != nil {
		return nil, nil, err
	}
	return b, func() {
		if err := b.Close(); err != nil {
			logger.Error("close bus", "error", err)
		}
	}, nil
}

// TransportNames returns the names of the transports the bus opened, sorted.
func (b *Bus) TransportNames() []string { return slices.Clone(b.names) }
