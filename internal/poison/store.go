package poison

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/transport"
	_ "github.com/millrace/millrace/internal/transport/builtin"
	"github.com/millrace/millrace/topology"
)

// ErrInMemory is returned for a poison topic of an in-memory transport, whose queues
// live in the service's own process.
var ErrInMemory = transport.ErrInProcess

// Store browses and removes the entries of the poison topics on one transport. Listing
// never consumes an entry and never moves it durably.
type Store interface {
	// List returns the entries of a poison topic in store order; a topic that holds
	// nothing yet (no table, stream or queue) has none.
	List(ctx context.Context, topic string) ([]Entry, error)
	// Get returns the entries of a poison topic whose message UUID is id (more than one
	// if an interrupted replay left a copy); none is an error wrapping ErrNotFound.
	Get(ctx context.Context, topic, id string) ([]Entry, error)
	// Remove deletes the entries with these refs from a poison topic. A ref that is no
	// longer there is not an error.
	Remove(ctx context.Context, topic string, refs ...string) error
	// Purge deletes every entry of a poison topic and returns how many it deleted.
	Purge(ctx context.Context, topic string) (int, error)
	// Close releases the store's connections.
	Close() error
}

// ErrNotFound is returned by Get for an id the topic does not hold.
var ErrNotFound = transport.ErrNotFound

// Open returns the Store of transport t, connected with its settings: the browser its
// kind provides, showing what PoisonStoreGroup keeps.
func Open(t *topology.Transport) (Store, error) {
	b, err := transport.OpenBrowser(t, router.PoisonStoreGroup)
	if err != nil {
		return nil, fmt.Errorf("poison store on transport %q: %w", t.Name, err)
	}
	return store{b}, nil
}

// store is a Store over a transport's Browser.
type store struct{ transport.Browser }

func (s store) List(ctx context.Context, topic string) ([]Entry, error) {
	return entries(topic)(s.Browser.List(ctx, topic))
}

func (s store) Get(ctx context.Context, topic, id string) ([]Entry, error) {
	return entries(topic)(s.Browser.Get(ctx, topic, id))
}

// entries turns what a browser read from topic into entries.
func entries(topic string) func([]transport.Stored, error) ([]Entry, error) {
	return func(stored []transport.Stored, err error) ([]Entry, error) {
		if err != nil {
			return nil, err
		}
		if stored == nil {
			return nil, nil
		}
		out := make([]Entry, 0, len(stored))
		for _, s := range stored {
			out = append(out, Entry{PoisonTopic: topic, Ref: s.Ref, Message: s.Message, StoredAt: s.StoredAt})
		}
		return out, nil
	}
}

// Topic is a poison topic of a topology.
type Topic struct {
	// Name is the poison topic.
	Name string
	// Transport is the name of the transport it lives on.
	Transport string
	// Handlers poison to it, in topology order (empty for a derived topic no handler
	// names).
	Handlers []string
	// Sources are the topics whose messages the handlers poison to it.
	Sources []string
}

// Topics returns the poison topics of topo: those its handlers poison to (each
// handler's PoisonTopicFor of each of its topics) and the topics the loader derived,
// in that order, each once.
func Topics(topo *topology.Topology) ([]Topic, error) {
	var (
		out   []Topic
		index = map[string]int{}
		errs  []error
	)
	add := func(name, handler, source string) {
		i, ok := index[name]
		if !ok {
			t, err := topo.Resolve(name)
			if err != nil {
				errs = append(errs, fmt.Errorf("poison topic %s: %w", name, err))
				return
			}
			i = len(out)
			index[name] = i
			out = append(out, Topic{Name: name, Transport: t.Transport})
		}
		if handler != "" && !slices.Contains(out[i].Handlers, handler) {
			out[i].Handlers = append(out[i].Handlers, handler)
		}
		if source != "" && !slices.Contains(out[i].Sources, source) {
			out[i].Sources = append(out[i].Sources, source)
		}
	}
	for _, h := range topo.Handlers {
		for _, t := range h.Topics {
			if p := h.PoisonTopicFor(t); p != "" {
				add(p, h.Name, t)
			}
		}
	}
	for _, t := range topo.Topics {
		if t.Derived && !t.IsPattern() {
			add(t.Name, "", "")
		}
	}
	return out, errors.Join(errs...)
}
