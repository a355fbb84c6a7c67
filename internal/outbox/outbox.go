package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/sqldb"
	sqltransport "github.com/millrace/millrace/internal/transport/sql"
)

// Defaults of Config.
const (
	DefaultTopic        = "outbox"
	DefaultPollInterval = 10 * time.Millisecond
	// DefaultGroup is the consumer group of the relay on the outbox table.
	DefaultGroup = "forwarder"
	// DefaultInFlight is how many relayed events may await the bus at once by default.
	DefaultInFlight = 16
	// DefaultRetryPause is how long the relay waits before relaying a batch again after
	// one of its events could not be published.
	DefaultRetryPause = time.Second
)

// Config configures an Outbox.
type Config struct {
	// Dialect of the database (sqldb.Postgres, MySQL or SQLite).
	Dialect sqldb.Dialect
	// Topic is the forwarder topic: the outbox rows live in "watermill_<Topic>"
	// (default DefaultTopic).
	Topic string
	// Source is the ce_source of the events (the producing service). Required.
	Source string
	// EventTopic returns the bus topic of an event (default: its EventName).
	EventTopic func(ev event.Event) string
	// PollInterval is how often an idle relay looks for new rows; it bounds the relay
	// latency (default DefaultPollInterval).
	PollInterval time.Duration
	// Group is the relay's consumer group on the outbox table (default DefaultGroup).
	Group string
	// InFlight is how many events the relay may be publishing at once (default
	// DefaultInFlight). Events committed close together may then reach the bus out of
	// commit order; 1 relays them in commit order, one publish after the other.
	InFlight int
	// RetryPause is how long the relay waits before relaying a batch again after one of
	// its events could not be published (default DefaultRetryPause).
	RetryPause time.Duration
	// Decorators wrap the publisher that writes each event's envelope into the table
	// (e.g. the tracing decorator, so the trace context is stored with the row). The
	// first is the innermost.
	Decorators []message.PublisherDecorator
}

func (c *Config) setDefaults() {
	if c.Topic == "" {
		c.Topic = DefaultTopic
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Group == "" {
		c.Group = DefaultGroup
	}
	if c.InFlight <= 0 {
		c.InFlight = DefaultInFlight
	}
	if c.RetryPause <= 0 {
		c.RetryPause = DefaultRetryPause
	}
}

// Validate reports every problem of the config.
func (c Config) Validate() error {
	var errs []error
	if c.Dialect == "" {
		errs = append(errs, errors.New("outbox: empty dialect"))
	}
	if c.Source == "" {
		errs = append(errs, errors.New("outbox: empty source"))
	}
	return errors.Join(errs...)
}

// Outbox publishes events inside database transactions of db.
type Outbox struct {
	db     *sql.DB
	cfg    Config
	schema sqltransport.Schema
	logger watermill.LoggerAdapter
}

// New returns the outbox of db and creates its table if needed.
func New(ctx context.Context, db *sql.DB, cfg Config, logger watermill.LoggerAdapter) (*Outbox, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	schema, err := sqltransport.NewSchema(string(cfg.Dialect))
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	if err := schema.Initialize(ctx, db, cfg.Topic); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return &Outbox{db: db, cfg: cfg, schema: schema, logger: logger}, nil
}

// Topic returns the forwarder topic.
func (o *Outbox) Topic() string { return o.cfg.Topic }

// Publish writes evs to the outbox inside tx. They are relayed once tx commits; nothing
// is relayed if it rolls back. The correlation id of ctx is kept on every event.
func (o *Outbox) Publish(ctx context.Context, tx *sql.Tx, evs ...event.Event) error {
	var pub message.Publisher = forwarder.NewPublisher(o.schema.TxPublisher(ctx, tx), forwarder.PublisherConfig{ForwarderTopic: o.cfg.Topic})
	for _, d := range o.cfg.Decorators {
		var err error
		if pub, err = d(pub); err != nil {
			return fmt.Errorf("outbox: decorate publisher: %w", err)
		}
	}
	bus, err := event.NewPublisher(pub, event.PublisherConfig{Source: o.cfg.Source, Topic: o.cfg.EventTopic, Logger: o.logger})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	for _, ev := range evs {
		if err := bus.Publish(ctx, ev); err != nil {
			return fmt.Errorf("outbox: write %s: %w", event.Type(ev), err)
		}
	}
	return nil
}

// Backlog counts the rows the relay's consumer group has not acked yet: the events
// committed and not relayed. It suits metrics.Outbox.WatchBacklog.
func (o *Outbox) Backlog(ctx context.Context) (int, error) {
	d := o.cfg.Dialect
	messages := "watermill_" + o.cfg.Topic
	offsets := "watermill_offsets_" + o.cfg.Topic
	q := "SELECT COUNT(*) FROM " + d.Quote(messages) + " WHERE " + d.Quote("offset") + " > COALESCE((SELECT offset_acked FROM " +
		d.Quote(offsets) + " WHERE consumer_group = " + d.Placeholder(1) + "), 0)"
	var n int
	if err := o.db.QueryRowContext(ctx, q, o.cfg.Group).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox: count backlog of %s: %w", messages, err)
	}
	return n, nil
}

// Relay moves committed outbox rows to the bus.
type Relay struct {
	fwd      *forwarder.Forwarder
	sub      *wsql.Subscriber
	pipeline *pipeline
	ran      atomic.Bool
}

// NewRelay returns a relay of the outbox publishing to out (the bus's routed publisher).
// Up to Config.InFlight publishes run at once; a batch of rows is marked relayed only
// once all of its events were published (see pipeline.go).
func (o *Outbox) NewRelay(out message.Publisher) (*Relay, error) {
	p := newPipeline(out, o.cfg.InFlight)
	cfg := o.schema.SubscriberConfig(o.cfg.Group, o.cfg.PollInterval)
	cfg.OffsetsAdapter = gate{OffsetsAdapter: cfg.OffsetsAdapter, pipeline: p, logger: o.logger, pause: o.cfg.RetryPause}
	sub, err := wsql.NewSubscriber(o.db, cfg, o.logger)
	if err != nil {
		return nil, fmt.Errorf("outbox relay: %w", err)
	}
	fwd, err := forwarder.NewForwarder(sub, p, o.logger, forwarder.Config{
		ForwarderTopic: o.cfg.Topic,
		CloseTimeout:   10 * time.Second,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("outbox relay: %w", err), sub.Close())
	}
	return &Relay{fwd: fwd, sub: sub, pipeline: p}, nil
}

// Run relays until ctx is done, then stops; it returns nil after a clean stop.
func (r *Relay) Run(ctx context.Context) error {
	r.ran.Store(true)
	if err := r.fwd.Run(ctx); err != nil {
		return fmt.Errorf("outbox relay: %w", err)
	}
	return nil
}

// Running is closed once the relay consumes.
func (r *Relay) Running() chan struct{} { return r.fwd.Running() }

// Close stops the relay and its subscriber. It is safe to call more than once. A relay
// that never ran only closes its subscriber: closing an idle Watermill router waits for
// its close timeout.
func (r *Relay) Close() error {
	if !r.ran.Load() {
		return r.sub.Close()
	}
	return errors.Join(r.fwd.Close(), r.sub.Close(), r.pipeline.Close())
}
