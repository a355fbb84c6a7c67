package idempotency

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/topology"
)

// Open opens the record in the database of a transport of topo: the transport named
// name, or when name is empty the topology's trace store, else its only SQL database
// transport. cfg.Dialect is taken from the transport. The returned func closes the
// database.
func Open(ctx context.Context, topo *topology.Topology, name string, cfg Config) (*Store, func() error, error) {
	tr, err := recordTransport(topo, name)
	if err != nil {
		return nil, nil, fmt.Errorf("idempotency: %w", err)
	}
	db, dialect, err := sqldb.OpenTransport(tr)
	if err != nil {
		return nil, nil, fmt.Errorf("idempotency: %w", err)
	}
	cfg.Dialect = dialect
	s, err := New(ctx, db, cfg)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("%w (transport %s)", err, tr.Name), db.Close())
	}
	return s, db.Close, nil
}

// recordTransport picks the transport whose database keeps the record (see Open).
func recordTransport(topo *topology.Topology, name string) (*topology.Transport, error) {
	if name == "" && topo.Trace != nil {
		name = topo.Trace.Store
	}
	if name != "" {
		tr, ok := topo.Transport(name)
		if !ok {
			return nil, fmt.Errorf("no transport %q in %s", name, topo.File)
		}
		if _, _, ok := tr.Database(); !ok {
			return nil, fmt.Errorf("transport %q of %s is a %s transport, not a SQL database", name, topo.File, tr.Kind)
		}
		return tr, nil
	}
	var found []*topology.Transport
	for _, tr := range topo.Transports {
		if _, _, ok := tr.Database(); ok {
			found = append(found, tr)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("%s has no SQL database transport to keep the processed-message record in", topo.File)
	}
	names := make([]string, len(found))
	for i, tr := range found {
		names[i] = tr.Name
	}
	slices.Sort(names)
	return nil, fmt.Errorf("%s has several SQL database transports (%s) and no trace store: name the one that keeps the processed-message record", topo.File, strings.Join(names, ", "))
}
