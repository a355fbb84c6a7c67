package transport

import (
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/millrace/millrace/topology"
)

// New opens the transport cfg describes. Brokers are dialled lazily by the publishers and
// subscribers it makes, except where a kind shares one client (Redis, SQL), which is
// created here; nothing is sent over the network until first use.
func New(cfg *topology.Transport, logger watermill.LoggerAdapter) (Transport, error) {
	if cfg == nil {
		return nil, errors.New("transport: nil config")
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	logger = logger.With(watermill.LogFields{"transport": cfg.Name})

	var (
		t   Transport
		err error
	)
	switch cfg.Kind {
	case topology.KindGoChannel:
		t, err = newGoChannel(cfg, logger)
	case topology.KindAMQP:
		t, err = newAMQP(cfg, logger)
	case topology.KindRedisStream:
		t, err = newRedisStream(cfg, logger)
	case topology.KindSQL:
		t, err = newSQL(cfg, logger)
	default:
		err = fmt.Errorf("unknown kind %q", cfg.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("transport %q: %w", cfg.Name, err)
	}
	return t, nil
}

// validate checks the options every kind needs.
func (o SubscriberOptions) validate() error {
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

// broadcast reports whether the options ask for a copy per instance. An empty Delivery
// means Shared, the topology default.
func (o SubscriberOptions) broadcast() bool { return o.Delivery == topology.Broadcast }

// errClosed is returned by publishers and subscribers used after Close.
var errClosed = errors.New("closed")
