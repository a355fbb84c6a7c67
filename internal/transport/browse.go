package transport

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Browser reads and removes the messages a transport keeps on its topics without
// consuming them, for tools such as the poison queue commands. Listing never consumes
// an entry and never moves it durably.
type Browser interface {
	// List returns the messages of topic in store order; a topic that holds nothing yet
	// (no table, stream or queue) has none.
	List(ctx context.Context, topic string) ([]Stored, error)
	// Get returns the messages of topic whose UUID is id (more than one if an
	// interrupted replay left a copy); none is an error wrapping ErrNotFound.
	Get(ctx context.Context, topic, id string) ([]Stored, error)
	// Remove deletes the messages with these refs from topic. A ref that is no longer
	// there is not an error.
	Remove(ctx context.Context, topic string, refs ...string) error
	// Purge deletes every message of topic and returns how many it deleted.
	Purge(ctx context.Context, topic string) (int, error)
	// Close releases the browser's connections.
	Close() error
}

// Stored is one message a Browser read.
type Stored struct {
	// Ref locates the message in its store (a row offset, a stream entry id, a UUID).
	Ref string
	// Message is the message with its payload and metadata.
	Message *message.Message
	// StoredAt is when the store received the message, when the store records it.
	StoredAt time.Time
}

// ErrNotFound is returned by Browser.Get for an id the topic does not hold.
var ErrNotFound = errors.New("no such poisoned message")

// ErrInProcess is returned by OpenBrowser for a kind whose queues live in a service's
// process.
var ErrInProcess = errors.New("poison queues of an in-memory transport live in the service's process and cannot be read from another process")

// GetByID filters the listing of topic by message UUID, for browsers without an index.
func GetByID(ctx context.Context, b Browser, topic, id string) ([]Stored, error) {
	all, err := b.List(ctx, topic)
	if err != nil {
		return nil, err
	}
	var out []Stored
	for _, e := range all {
		if e.Message.UUID == id {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s on %s: %w", id, topic, ErrNotFound)
	}
	return out, nil
}
