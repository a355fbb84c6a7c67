package event

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/metadata"
)

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Source is the ce_source of every published event: the publishing service. Required.
	Source string
	// Topic returns the topic of ev (default: ev.EventName()).
	Topic func(ev Event) string
	// Now is the clock for ce_time (default time.Now).
	Now func() time.Time
	// Logger for the underlying cqrs.EventBus (default: none).
	Logger watermill.LoggerAdapter
}

func (c *PublisherConfig) setDefaults() {
	if c.Topic == nil {
		c.Topic = func(ev Event) string { return ev.EventName() }
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every problem of the config.
func (c PublisherConfig) Validate() error {
	var errs []error
	if c.Source == "" {
		errs = append(errs, errors.New("missing Source"))
	}
	return errors.Join(errs...)
}

// Publisher publishes typed events. It wraps cqrs.EventBus with the package Marshaler and
// stamps the correlation and causation ids from the publishing context.
type Publisher struct {
	bus *cqrs.EventBus
}

// NewPublisher returns a Publisher publishing through publisher.
func NewPublisher(publisher message.Publisher, cfg PublisherConfig) (*Publisher, error) {
	if publisher == nil {
		return nil, errors.New("event publisher: missing message publisher")
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("event publisher: %w", err)
	}
	topic := cfg.Topic
	bus, err := cqrs.NewEventBusWithConfig(publisher, cqrs.EventBusConfig{
		GeneratePublishTopic: func(p cqrs.GenerateEventPublishTopicParams) (string, error) {
			ev, ok := p.Event.(Event)
			if !ok {
				return "", fmt.Errorf("%T is not an event.Event", p.Event)
			}
			return topic(ev), nil
		},
		OnPublish: stampFlow,
		Marshaler: Marshaler{Source: cfg.Source, Now: cfg.Now},
		Logger:    cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("event publisher: %w", err)
	}
	return &Publisher{bus: bus}, nil
}

// Publish sends ev to its topic. The message's correlation_id is the one ctx carries,
// or, when ctx has none (the edge of a flow), the message's own id; its causation_id is
// the causation ctx carries (inside a handler: the id of the message being handled).
func (b *Publisher) Publish(ctx context.Context, ev Event) error {
	if err := b.bus.Publish(ctx, ev); err != nil {
		return fmt.Errorf("publish %s: %w", Type(ev), err)
	}
	return nil
}

// stampFlow sets the flow ids on a message about to be published, and releases it: the
// Publisher made it for this publish and keeps no reference to it.
func stampFlow(p cqrs.OnEventSendParams) error {
	ctx := p.Message.Context()
	metadata.Release(p.Message)
	id := correlation.ID(ctx)
	if id == "" {
		// The first message of a flow names it: its id is new and unique already.
		id = p.Message.UUID
	}
	p.Message.Metadata.Set(metadata.KeyCorrelationID, id)
	if causation := correlation.Causation(ctx); causation != "" {
		p.Message.Metadata.Set(metadata.KeyCausationID, causation)
	}
	return nil
}
