package health

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTimeout bounds each readiness check by default.
const DefaultTimeout = 2 * time.Second

// Status values of a readiness report.
const (
	StatusReady    = "ready"
	StatusNotReady = "not ready"
	// CheckOK is the value of a check that passed.
	CheckOK = "ok"
)

// Check is one named readiness check: a transport connection, a database, any
// dependency the service needs to do its work.
type Check struct {
	// Name identifies the check in reports, e.g. "transport:rabbit" or "database:users".
	Name string
	// Func returns nil when the dependency is usable. It must honour ctx.
	Func func(ctx context.Context) error
}

// Config configures a Health.
type Config struct {
	// Timeout bounds each check (default DefaultTimeout).
	Timeout time.Duration
	// Logger receives failed checks (default: discarded).
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Health answers the liveness and readiness probes of a service.
type Health struct {
	cfg      Config
	mu       sync.RWMutex
	checks   []Check
	draining atomic.Bool
}

// New returns a Health running checks. Every check needs a unique name and a Func.
func New(cfg Config, checks ...Check) (*Health, error) {
	cfg.setDefaults()
	h := &Health{cfg: cfg}
	if err := h.Add(checks...); err != nil {
		return nil, err
	}
	return h, nil
}

// Add registers more checks, reporting every unnamed, duplicate or empty one; none is
// added then.
func (h *Health) Add(checks ...Check) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := make(map[string]bool, len(h.checks)+len(checks))
	for _, c := range h.checks {
		seen[c.Name] = true
	}
	var errs []error
	for i, c := range checks {
		switch {
		case c.Name == "":
			errs = append(errs, fmt.Errorf("check %d has no name", i))
		case c.Func == nil:
			errs = append(errs, fmt.Errorf("check %q has no func", c.Name))
		case seen[c.Name]:
			errs = append(errs, fmt.Errorf("check %q added twice", c.Name))
		}
		seen[c.Name] = true
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("health: %w", err)
	}
	h.checks = append(h.checks, checks...)
	return nil
}

// Drain makes the service report not ready from now on, with the check "shutdown",
// so load balancers stop sending it work while it shuts down.
func (h *Health) Drain() { h.draining.Store(true) }

// Report is the body of a readiness answer.
type Report struct {
	// Status is StatusReady or StatusNotReady.
	Status string `json:"status"`
	// Checks maps each check's name to CheckOK or its error.
	Checks map[string]string `json:"checks"`
	// Failing names the failed checks, sorted; empty when ready.
	Failing []string `json:"failing,omitempty"`
}

// Ready runs every check concurrently, each bounded by the timeout, and reports.
func (h *Health) Ready(ctx context.Context) Report {
	h.mu.RLock()
	checks := append([]Check(nil), h.checks...)
	h.mu.RUnlock()

	results := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() { results[i] = h.run(ctx, c) })
	}
	wg.Wait()

	r := Report{Status: StatusReady, Checks: make(map[string]string, len(checks)+1)}
	for i, c := range checks {
		if results[i] != nil {
			r.Checks[c.Name] = results[i].Error()
			r.Failing = append(r.Failing, c.Name)
			continue
		}
		r.Checks[c.Name] = CheckOK
	}
	if h.draining.Load() {
		r.Checks["shutdown"] = "draining"
		r.Failing = append(r.Failing, "shutdown")
	}
	if len(r.Failing) > 0 {
		r.Status = StatusNotReady
		sort.Strings(r.Failing)
	}
	return r
}

// run runs c within the timeout; a check that does not return in time fails even if
// it ignores its context.
func (h *Health) run(ctx context.Context, c Check) error {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Func(ctx) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = fmt.Errorf("no answer within %s", h.cfg.Timeout)
	}
	if err != nil {
		h.cfg.Logger.WarnContext(ctx, "readiness check failed", "check", c.Name, "error", err)
	}
	return err
}

// Healthz answers 200 while the process serves HTTP: the liveness probe.
func (h *Health) Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
	})
}

// Readyz answers 200 with the report when every check passes and 503 naming the
// failing ones otherwise: the readiness probe.
func (h *Health) Readyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := h.Ready(r.Context())
		status := http.StatusOK
		if rep.Status != StatusReady {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, rep)
	})
}

// Register adds GET /healthz and GET /readyz to mux.
func (h *Health) Register(mux *http.ServeMux) {
	mux.Handle("GET /healthz", h.Healthz())
	mux.Handle("GET /readyz", h.Readyz())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

// Transports is what TransportChecks needs from a bus; *bus.Bus implements it.
type Transports interface {
	TransportNames() []string
	PingTransport(ctx context.Context, name string) error
}

// TransportChecks returns one check per transport of b, named "transport:<name>".
func TransportChecks(b Transports) []Check {
	names := b.TransportNames()
	checks := make([]Check, 0, len(names))
	for _, name := range names {
		checks = append(checks, Check{
			Name: "transport:" + name,
			Func: func(ctx context.Context) error { return b.PingTransport(ctx, name) },
		})
	}
	return checks
}

// Cached returns c with its result kept for ttl, so a check that costs the dependency
// something (a new SMTP connection) runs at most once per ttl however often /readyz is
// asked. Callers arriving during a run wait for its result; a run that timed out is
// kept, one whose caller went away (its context cancelled) is not.
func Cached(c Check, ttl time.Duration) Check {
	var (
		mu  sync.Mutex
		at  time.Time
		err error
	)
	return Check{Name: c.Name, Func: func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if !at.IsZero() && time.Since(at) < ttl {
			return err
		}
		e := c.Func(ctx)
		if !errors.Is(ctx.Err(), context.Canceled) {
			at, err = time.Now(), e
		}
		return e
	}}
}

// DB returns a check named "database:<name>" that pings db.
func DB(name string, db *sql.DB) Check {
	return Check{
		Name: "database:" + name,
		Func: func(ctx context.Context) error {
			if err := db.PingContext(ctx); err != nil {
				return fmt.Errorf("ping database %s: %w", name, err)
			}
			return nil
		},
	}
}
