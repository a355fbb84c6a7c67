package poison

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/millrace/millrace/topology"
)

// ErrInMemory is returned for a poison topic of the in-memory (gochannel) transport,
// whose queues live in the service's own process.
var ErrInMemory = errors.New("poison queues of the in-memory (gochannel) transport live in the service's process and cannot be read from another process")

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
var ErrNotFound = errors.New("no such poisoned message")

// Open returns the Store of transport t, connected with its settings.
func Open(t *topology.Transport) (Store, error) {
	var (
		s   Store
		err error
	)
	switch t.Kind {
	case topology.KindSQL:
		s, err = openSQL(t.SQL)
	case topology.KindRedisStream:
		s, err = openRedis(t.RedisStream)
	case topology.KindAMQP:
		s, err = openAMQP(t.AMQP)
	case topology.KindGoChannel:
		err = ErrInMemory
	default:
		err = fmt.Errorf("unknown transport kind %q", t.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("poison store on transport %q: %w", t.Name, err)
	}
	return s, nil
}

// get filters the listing of topic by message UUID; stores without an index use it.
func get(ctx context.Context, s Store, topic, id string) ([]Entry, error) {
	all, err := s.List(ctx, topic)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, e := range all {
		if e.ID() == id {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s on %s: %w", id, topic, ErrNotFound)
	}
	return out, nil
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
