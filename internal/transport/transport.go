package transport

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/topology"
)

// Transport is one configured broker connection. Publishers and subscribers made by it
// share its connections; each is closed on its own, and Close releases the connections
// once they are.
type Transport interface {
	// Name is the transport's name in the topology file.
	Name() string
	// Kind is the transport implementation.
	Kind() topology.Kind
	// NewPublisher returns a publisher for any topic on this transport.
	NewPublisher() (message.Publisher, error)
	// NewSubscriber returns a subscriber that consumes as opts say.
	NewSubscriber(opts SubscriberOptions) (message.Subscriber, error)
	// Ping checks that the broker or database answers.
	Ping(ctx context.Context) error
	// Close releases shared connections. It is safe to call more than once.
	Close() error
}

// SubscriberOptions say how a subscriber consumes.
type SubscriberOptions struct {
	// Group is the consumer group: handlers with the same group compete for messages.
	Group string
	// Delivery selects competing consumption per group (Shared) or a copy of every
	// message per running instance (Broadcast).
	Delivery topology.Delivery
	// Instance identifies this process; broadcast subscriptions are keyed by it.
	Instance string
}

// Validate checks the options every kind needs.
func (o SubscriberOptions) Validate() error {
	var errs []error
	if o.Group == "" {
		errs = append(errs, errors.New("subscriber options: empty group"))
	}
	switch o.Delivery {
	case "", topology.Shared:
	case topology.Broadcast:
		if o.Instance == "" {
			errs = append(errs, errors.New("subscriber options: broadcast delivery needs an instance"))
		}
	default:
		errs = append(errs, fmt.Errorf("subscriber options: unknown delivery %q", o.Delivery))
	}
	return errors.Join(errs...)
}

// Broadcast reports whether the options ask for a copy per instance. An empty Delivery
// means Shared, the topology default.
func (o SubscriberOptions) Broadcast() bool { return o.Delivery == topology.Broadcast }

// ErrClosed is returned by publishers and subscribers used after Close.
var ErrClosed = errors.New("closed")
