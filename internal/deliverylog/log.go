package deliverylog

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/topology"
)

// ErrNoStore is returned by Open when the topology has no trace section.
var ErrNoStore = errors.New("the topology has no trace store (add trace: {store: <sql transport>})")

// Defaults of Config.
const (
	DefaultTable         = "millrace_delivery_log"
	DefaultBuffer        = 8192
	DefaultBatchSize     = 256
	DefaultFlushInterval = 200 * time.Millisecond
)

// Config configures a Log.
type Config struct {
	// Topology names the store (its trace section) and maps topics to transports.
	// Required.
	Topology *topology.Topology
	// Table is the log's table (default DefaultTable).
	Table string
	// Buffer is how many rows wait for the writer at most; more are dropped and
	// counted (default DefaultBuffer).
	Buffer int
	// BatchSize is how many rows one INSERT writes at most (default DefaultBatchSize).
	BatchSize int
	// FlushInterval is how long a row waits at most before it is written
	// (default DefaultFlushInterval).
	FlushInterval time.Duration
	// Logger receives write failures and the count of dropped rows (default: discarded).
	Logger *slog.Logger
	// Now is the clock of the recorded times (default time.Now).
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Table == "" {
		c.Table = DefaultTable
	}
	if c.Buffer <= 0 {
		c.Buffer = DefaultBuffer
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every problem of the config.
func (c Config) Validate() error {
	var errs []error
	if c.Topology == nil {
		errs = append(errs, errors.New("missing Topology"))
	} else if c.Topology.Trace != nil {
		tr, ok := c.Topology.Transport(c.Topology.Trace.Store)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("trace store %q is not a transport of %s", c.Topology.Trace.Store, c.Topology.File))
		default:
			if _, _, ok := tr.Database(); !ok {
				errs = append(errs, fmt.Errorf("trace store %q is a %s transport, not a SQL database", tr.Name, tr.Kind))
			}
		}
	}
	if !validIdentifier(c.Table) {
		errs = append(errs, fmt.Errorf("table %q: use letters, digits and _ (at most 52 bytes)", c.Table))
	}
	return errors.Join(errs...)
}

// Log is a delivery log: it records publishes and handler outcomes in the background
// and reads flows back with Tree. Its methods are safe for concurrent use.
type Log struct {
	cfg   Config
	db    *stdsql.DB
	store *store

	mu      sync.RWMutex // guards closed against sends on rows
	closed  bool
	rows    chan row
	done    chan struct{}
	dropped atomic.Uint64

	closeOnce sync.Once
	closeErr  error
}

// Open opens the database of the topology's trace store, creates the log's table if
// it does not exist and starts the background writer. It returns an error wrapping
// ErrNoStore when the topology has no trace section.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("delivery log: %w", err)
	}
	if cfg.Topology.Trace == nil {
		return nil, fmt.Errorf("delivery log: %s: %w", cfg.Topology.File, ErrNoStore)
	}
	tr, _ := cfg.Topology.Transport(cfg.Topology.Trace.Store)
	db, dialect, err := sqldb.OpenTransport(tr)
	if err != nil {
		return nil, fmt.Errorf("delivery log: store %s: %w", tr.Name, err)
	}
	st := &store{db: db, dialect: dialect, table: cfg.Table}
	if err := st.init(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("delivery log: store %s: %w", tr.Name, err), db.Close())
	}
	l := &Log{
		cfg:   cfg,
		db:    db,
		store: st,
		rows:  make(chan row, cfg.Buffer),
		done:  make(chan struct{}),
	}
	go l.write()
	return l, nil
}

// Dropped returns how many rows were not written: the buffer was full, the log was
// closed, or their batch failed to insert.
func (l *Log) Dropped() uint64 { return l.dropped.Load() }

// Close stops recording, writes every buffered row and closes the database. It is
// idempotent.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		close(l.rows)
		l.mu.Unlock()
		<-l.done
		if n := l.Dropped(); n > 0 {
			l.cfg.Logger.Warn("delivery log dropped rows", "rows", n)
		}
		if err := l.db.Close(); err != nil {
			l.closeErr = fmt.Errorf("delivery log: close: %w", err)
		}
	})
	return l.closeErr
}

// add queues r for the writer without waiting: a full buffer or a closed log drops it.
func (l *Log) add(r row) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		l.dropped.Add(1)
		return
	}
	select {
	case l.rows <- r:
	default:
		l.dropped.Add(1)
	}
}

// write drains rows in batches until the channel is closed.
func (l *Log) write() {
	defer close(l.done)
	ticker := time.NewTicker(l.cfg.FlushInterval)
	defer ticker.Stop()
	batch := make([]row, 0, l.cfg.BatchSize)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := l.store.insert(ctx, batch)
		cancel()
		if err != nil {
			l.dropped.Add(uint64(len(batch)))
			l.cfg.Logger.Error("delivery log: write failed", "rows", len(batch), "error", err)
		}
		batch = batch[:0]
	}
	for {
		select {
		case r, ok := <-l.rows:
			if !ok {
				flush()
				return
			}
			batch = append(batch, r)
			if len(batch) >= l.cfg.BatchSize {
				flush()
			}
		case <-ticker.C:
			flush()
		}
	}
}

// Tree returns the causal tree of the messages of correlationID. It returns an error
// wrapping ErrNotFound when the log has no row of it. Rows still buffered are not
// seen.
func (l *Log) Tree(ctx context.Context, correlationID string) (*Tree, error) {
	rows, err := l.store.query(ctx, correlationID)
	if err != nil {
		return nil, fmt.Errorf("delivery log: %w", err)
	}
	return build(correlationID, rows)
}

// Prune deletes the rows recorded before t and returns how many it deleted. The log
// keeps every row until pruned.
func (l *Log) Prune(ctx context.Context, before time.Time) (int64, error) {
	n, err := l.store.prune(ctx, before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("delivery log: %w", err)
	}
	return n, nil
}
