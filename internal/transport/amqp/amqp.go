package amqp

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-amqp/v2/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// Kind is the RabbitMQ transport, kind amqp in the topology file.
var Kind = transport.Kind{
	Name:     Name,
	Settings: spec,
	Open: func(cfg *topology.Transport, logger watermill.LoggerAdapter) (transport.Transport, error) {
		return newAMQP(cfg, logger)
	},
	Browse: openBrowser,
	Drop:   drop,
	Server: func(cfg *topology.Transport) (string, string, error) {
		c, err := settingsOf(cfg)
		if err != nil {
			return "", "", err
		}
		u, err := url.Parse(c.URL.Reveal())
		if err != nil {
			return "", "", err
		}
		return "RabbitMQ", transport.HostPort(u.Host, "5672"), nil
	},
}

// amqpTransport is a RabbitMQ transport. Watermill's AMQP publisher and subscriber each
// dial their own connection, so a slow consumer never throttles publishing.
type amqpTransport struct {
	name   string
	cfg    Settings
	logger watermill.LoggerAdapter
}

func newAMQP(cfg *topology.Transport, logger watermill.LoggerAdapter) (*amqpTransport, error) {
	sc, err := settingsOf(cfg)
	if err != nil {
		return nil, err
	}
	c := *sc
	if c.URL.Reveal() == "" {
		return nil, errors.New("amqp: empty url")
	}
	if c.Prefetch <= 0 {
		c.Prefetch = defaultPrefetch
	}
	if c.ReconnectInitial <= 0 {
		c.ReconnectInitial = defaultReconnectInitial
	}
	if c.ReconnectMax <= 0 {
		c.ReconnectMax = defaultReconnectMax
	}
	return &amqpTransport{name: cfg.Name, cfg: c, logger: logger}, nil
}

func (a *amqpTransport) Name() string        { return a.name }
func (a *amqpTransport) Kind() topology.Kind { return Name }

// config returns the Watermill config shared by publishers and subscribers: a fanout
// exchange named like the topic, durable when the transport is, and queueName for the
// subscriber's queue.
func (a *amqpTransport) config(queueName amqp.QueueNameGenerator) amqp.Config {
	return amqp.Config{
		Connection: amqp.ConnectionConfig{
			AmqpURI: a.cfg.URL.Reveal(),
			Reconnect: &amqp.ReconnectConfig{
				BackoffInitialInterval:     a.cfg.ReconnectInitial,
				BackoffRandomizationFactor: 0.5,
				BackoffMultiplier:          1.5,
				BackoffMaxInterval:         a.cfg.ReconnectMax,
			},
		},
		Marshaler: Marshaler{NotPersistentDeliveryMode: !a.cfg.Durable},
		Exchange: amqp.ExchangeConfig{
			GenerateName: func(topic string) string { return topic },
			Type:         "fanout",
			Durable:      a.cfg.Durable,
		},
		Queue: amqp.QueueConfig{
			GenerateName: queueName,
			Durable:      a.cfg.Durable,
		},
		QueueBind: amqp.QueueBindConfig{
			GenerateRoutingKey: func(string) string { return "" },
		},
		Publish: amqp.PublishConfig{
			GenerateRoutingKey: func(string) string { return "" },
			ConfirmDelivery:    a.cfg.Confirms,
			ChannelPoolSize:    a.cfg.ChannelPool,
		},
		Consume: amqp.ConsumeConfig{
			Qos: amqp.QosConfig{PrefetchCount: a.cfg.Prefetch},
		},
		TopologyBuilder: &amqp.DefaultTopologyBuilder{},
	}
}

// NewPublisher returns Watermill's AMQP publisher, replaced by a new one whenever its
// channel pool loses a channel (see healingPublisher).
func (a *amqpTransport) NewPublisher() (message.Publisher, error) {
	pub, err := newHealingPublisher(func() (message.Publisher, error) {
		return amqp.NewPublisher(a.config(nil), a.logger)
	}, a.cfg.ReconnectInitial, a.logger)
	if err != nil {
		return nil, fmt.Errorf("amqp publisher: %w", err)
	}
	return pub, nil
}

// queueName returns the queue a subscriber consumes topic from: <topic>.<group> for
// shared delivery, <topic>.<group>.<instance> for broadcast.
func queueName(topic string, opts transport.SubscriberOptions) string {
	if opts.Broadcast() {
		return topic + "." + opts.Group + "." + opts.Instance
	}
	return topic + "." + opts.Group
}

func (a *amqpTransport) NewSubscriber(opts transport.SubscriberOptions) (message.Subscriber, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cfg := a.config(func(topic string) string { return queueName(topic, opts) })
	if opts.Broadcast() {
		// A per-instance queue is never durable and goes with its last consumer.
		cfg.Queue.Durable = false
		cfg.Queue.AutoDelete = true
	}
	sub, err := amqp.NewSubscriber(cfg, a.logger)
	if err != nil {
		return nil, fmt.Errorf("amqp subscriber: %w", err)
	}
	return sub, nil
}

// Ping dials the broker and closes the connection again.
func (a *amqpTransport) Ping(ctx context.Context) error {
	dialer := amqp091.DefaultDial(5 * time.Second)
	if deadline, ok := ctx.Deadline(); ok {
		dialer = amqp091.DefaultDial(time.Until(deadline))
	}
	conn, err := amqp091.DialConfig(a.cfg.URL.Reveal(), amqp091.Config{Dial: dialer})
	if err != nil {
		return fmt.Errorf("amqp dial %s: %w", a.cfg.URL, err)
	}
	return conn.Close()
}

// Close has nothing to release: connections belong to publishers and subscribers.
func (a *amqpTransport) Close() error { return nil }

// drop deletes the queues of groups on topic (shared delivery) and the topic's exchange.
func drop(_ context.Context, cfg *topology.Transport, topic string, groups ...string) error {
	c, err := settingsOf(cfg)
	if err != nil {
		return err
	}
	conn, err := amqp091.Dial(c.URL.Reveal())
	if err != nil {
		return fmt.Errorf("amqp dial %s: %w", c.URL, err)
	}
	defer conn.Close()
	for _, g := range groups {
		if ch, err := conn.Channel(); err == nil {
			_, _ = ch.QueueDelete(queueName(topic, transport.SubscriberOptions{Group: g}), false, false, false)
			_ = ch.Close()
		}
	}
	if ch, err := conn.Channel(); err == nil {
		_ = ch.ExchangeDelete(topic, false, false)
		_ = ch.Close()
	}
	return nil
}
