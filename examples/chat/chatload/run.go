package chatload

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Run connects Rooms × Members clients to the targets, sends Rate messages/s for
// Duration, waits up to Drain for the missing deliveries, closes every client and
// reports. It returns an error only for a bad config; failures under load are figures of
// the report. When ctx ends the load stops early and the report covers what was sent.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("chatload: %w", err)
	}
	s := newSession(cfg.RoomPrefix, cfg.DialTimeout)
	defer s.close()

	started := time.Now()
	var jobs []connectJob
	for r := range cfg.Rooms {
		jobs = append(jobs, s.add(cfg.Targets, r, cfg.Members)...)
	}
	cctx, cancel := context.WithTimeout(ctx, cfg.ReadyTimeout)
	s.connect(cctx, jobs, cfg.DialWorkers)
	cancel()
	rep := &Report{
		Targets: cfg.Targets, Rooms: cfg.Rooms, MembersPerRoom: cfg.Members, Rate: cfg.Rate,
		ConnectSeconds: time.Since(started).Seconds(),
	}
	res := s.runPhase(ctx, 1, cfg.Rate, cfg.Duration, cfg.Drain)
	rep.Clients = res.clients
	rep.fill(res)
	rep.ConnectErrors, rep.Disconnects, rep.Late = s.connectErrors.Load(), s.disconnects.Load(), s.late.Load()
	rep.Errors = s.errs.list()
	return rep, nil
}

// Defaults of RoomLimitConfig.
const (
	DefaultRoomRate     = 50
	DefaultRoomStart    = 10
	DefaultRoomGrowth   = 1.5
	DefaultRoomMax      = 2000
	DefaultStepDuration = 10 * time.Second
	DefaultP99Limit     = 100 * time.Millisecond
	DefaultRoomRetries  = 1
	DefaultPrecision    = 0.1
)

// RoomLimitConfig configures FindRoomLimit.
type RoomLimitConfig struct {
	// Targets and AllowRemote are as in Config.
	Targets     []string
	AllowRemote bool
	// Rate is the total messages/s sent to the room at every step (default
	// DefaultRoomRate), spread evenly over its members.
	Rate float64
	// Start is the first room size (default DefaultRoomStart); each next step has
	// Growth times as many members (default DefaultRoomGrowth, at least one more), up to
	// Max (default DefaultRoomMax, at most MaxClients).
	Start  int
	Growth float64
	Max    int
	// StepDuration is how long each step sends (default DefaultStepDuration), Drain how
	// long it waits for missing deliveries after (default DefaultDrain).
	StepDuration time.Duration
	Drain        time.Duration
	// P99Limit is the p99 latency a room size must stay under (default
	// DefaultP99Limit).
	P99Limit time.Duration
	// Retries is how many more times a size that is over is measured before it counts
	// as over (default DefaultRoomRetries; negative: none).
	Retries int
	// Precision is how close, as a fraction of the size under, the bisection brings the
	// sizes under and over (default DefaultPrecision).
	Precision float64
	// DialTimeout, DialWorkers and RoomPrefix are as in Config.
	DialTimeout time.Duration
	DialWorkers int
	RoomPrefix  string
}

func (c *RoomLimitConfig) setDefaults() {
	if c.Rate == 0 {
		c.Rate = DefaultRoomRate
	}
	if c.Start == 0 {
		c.Start = DefaultRoomStart
	}
	if c.Growth == 0 {
		c.Growth = DefaultRoomGrowth
	}
	if c.Max == 0 {
		c.Max = DefaultRoomMax
	}
	if c.StepDuration == 0 {
		c.StepDuration = DefaultStepDuration
	}
	if c.Drain == 0 {
		c.Drain = DefaultDrain
	}
	if c.P99Limit == 0 {
		c.P99Limit = DefaultP99Limit
	}
	switch {
	case c.Retries == 0:
		c.Retries = DefaultRoomRetries
	case c.Retries < 0:
		c.Retries = 0
	}
	if c.Precision == 0 {
		c.Precision = DefaultPrecision
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.DialWorkers == 0 {
		c.DialWorkers = DefaultDialWorkers
	}
	if c.RoomPrefix == "" {
		c.RoomPrefix = "limit-" + randomID()
	}
}

// Validate reports every problem of the config.
func (c RoomLimitConfig) Validate() error {
	var errs []error
	if err := CheckTargets(c.Targets, c.AllowRemote); err != nil {
		errs = append(errs, err)
	}
	if c.Start < 1 || c.Max < c.Start || c.Max > MaxClients {
		errs = append(errs, fmt.Errorf("room sizes must satisfy 1 <= start (%d) <= max (%d) <= %d", c.Start, c.Max, MaxClients))
	}
	if !(c.Growth > 1) {
		errs = append(errs, fmt.Errorf("growth must be above 1, not %g", c.Growth))
	}
	errs = append(errs, checkRun(c.Rate, c.StepDuration, c.Drain))
	if c.Retries > 10 {
		errs = append(errs, fmt.Errorf("retries must be at most 10, not %d", c.Retries))
	}
	if !(c.Precision > 0 && c.Precision < 1) {
		errs = append(errs, fmt.Errorf("precision must be between 0 and 1, not %g", c.Precision))
	}
	if c.P99Limit <= 0 {
		errs = append(errs, fmt.Errorf("p99 limit must be above 0, not %s", c.P99Limit))
	}
	if c.DialTimeout < 0 || c.DialTimeout > MaxDuration || c.DialWorkers < 1 {
		errs = append(errs, fmt.Errorf("dial timeout must be between 0 and %s and dial workers at least 1", MaxDuration))
	}
	return errors.Join(errs...)
}

// FindRoomLimit grows one room, split across the targets, from Start members by Growth
// per step, sending Rate messages/s for StepDuration at each size, until a size is over:
// its p99 passes P99Limit, or it loses or refuses a message or a client, in each of
// 1+Retries attempts (a shared machine has noisy moments). Then it bisects between the
// last size under and the first size over, closing or adding members, until they are
// within Precision of each other. Clients stay from one step to the next. It returns an
// error only for a bad config; when ctx ends the search stops with the steps measured
// so far.
func FindRoomLimit(ctx context.Context, cfg RoomLimitConfig) (*RoomLimit, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("chatload: %w", err)
	}
	s := newSession(cfg.RoomPrefix, cfg.DialTimeout)
	defer s.close()
	out := &RoomLimit{Targets: cfg.Targets, Rate: cfg.Rate, P99Limit: ms(cfg.P99Limit)}
	id := 0
	// under measures size and reports whether one of its attempts stayed under.
	under := func(size int) bool {
		s.resize(ctx, cfg.Targets, 0, size, cfg.DialWorkers)
		for attempt := 1; attempt <= 1+cfg.Retries && ctx.Err() == nil; attempt++ {
			id++
			connectErrs, disconnects := s.connectErrors.Load(), s.disconnects.Load()
			step := Step{Members: size, Attempt: attempt, Report: Report{Targets: cfg.Targets, Rooms: 1, MembersPerRoom: size, Rate: cfg.Rate}}
			res := s.runPhase(ctx, id, cfg.Rate, cfg.StepDuration, cfg.Drain)
			step.Clients = res.clients
			step.fill(res)
			step.ConnectErrors = s.connectErrors.Load() - connectErrs
			step.Disconnects = s.disconnects.Load() - disconnects
			step.Errors = s.errs.list()
			switch {
			case ctx.Err() != nil:
				step.Over = "interrupted"
			case step.Clients != size || !step.OK():
				step.Over = "lost or refused messages or clients"
			case step.Latency.P99 >= out.P99Limit:
				step.Over = fmt.Sprintf("p99 %.1fms", step.Latency.P99)
			}
			out.Steps = append(out.Steps, step)
			if step.Over == "" {
				return true
			}
			// A member dropped or never connected: start the next attempt afresh.
			s.resize(ctx, cfg.Targets, 0, size, cfg.DialWorkers)
		}
		return false
	}
	good, bad := 0, 0
	for size := cfg.Start; ; size = min(cfg.Max, max(size+1, int(float64(size)*cfg.Growth))) {
		if !under(size) {
			bad = size
			break
		}
		good = size
		if size >= cfg.Max {
			out.Limit = good
			out.Stopped = fmt.Sprintf("reached the maximum of %d members", cfg.Max)
			return out, nil
		}
	}
	for good > 0 && bad-good > max(1, int(float64(good)*cfg.Precision)) && ctx.Err() == nil {
		mid := (good + bad) / 2
		if under(mid) {
			good = mid
		} else {
			bad = mid
		}
	}
	out.Limit = good
	if ctx.Err() != nil {
		out.Stopped = "interrupted"
	} else {
		out.Stopped = fmt.Sprintf("%d members were over", bad)
	}
	return out, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
