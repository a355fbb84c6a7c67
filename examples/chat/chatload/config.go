package chatload

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Bounds of a load run.
const (
	// MaxClients is the most WebSocket clients one run may open.
	MaxClients = 10000
	// MaxDuration is the longest load phase.
	MaxDuration = 10 * time.Minute
	// MaxRate is the highest total rate in messages per second.
	MaxRate = 100000
)

// Defaults of Config.
const (
	DefaultRooms       = 50
	DefaultMembers     = 20
	DefaultRate        = 500
	DefaultDuration    = 30 * time.Second
	DefaultDrain       = 5 * time.Second
	DefaultDialTimeout = 10 * time.Second
	DefaultDialWorkers = 32
	// DefaultReadyTimeout bounds connecting every client and receiving its history.
	DefaultReadyTimeout = 2 * time.Minute
)

// Config configures Run.
type Config struct {
	// Targets are the chat instances, as ws:// or wss:// base URLs (the path /ws is
	// added). Required.
	Targets []string
	// AllowRemote allows targets that are not loopback addresses.
	AllowRemote bool
	// Rooms and Members are the number of rooms and of members per room (defaults
	// DefaultRooms, DefaultMembers).
	Rooms, Members int
	// Rate is the total messages per second offered (default DefaultRate).
	Rate float64
	// Duration is how long messages are sent (default DefaultDuration).
	Duration time.Duration
	// Drain is how long Run waits for missing deliveries after the last send (default
	// DefaultDrain).
	Drain time.Duration
	// DialTimeout bounds one WebSocket handshake (default DefaultDialTimeout).
	DialTimeout time.Duration
	// DialWorkers is how many handshakes run at once (default DefaultDialWorkers).
	DialWorkers int
	// ReadyTimeout bounds connecting all clients (default DefaultReadyTimeout).
	ReadyTimeout time.Duration
	// RoomPrefix starts every room name (default "load-<random>", so runs never share a
	// room or its history).
	RoomPrefix string
}

func (c *Config) setDefaults() {
	if c.Rooms == 0 {
		c.Rooms = DefaultRooms
	}
	if c.Members == 0 {
		c.Members = DefaultMembers
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Drain == 0 {
		c.Drain = DefaultDrain
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.DialWorkers == 0 {
		c.DialWorkers = DefaultDialWorkers
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	if c.RoomPrefix == "" {
		c.RoomPrefix = "load-" + randomID()
	}
}

// Validate reports every problem of the config.
func (c Config) Validate() error {
	var errs []error
	if err := CheckTargets(c.Targets, c.AllowRemote); err != nil {
		errs = append(errs, err)
	}
	if c.Rooms < 1 {
		errs = append(errs, fmt.Errorf("rooms must be at least 1, not %d", c.Rooms))
	}
	if c.Members < 1 {
		errs = append(errs, fmt.Errorf("members must be at least 1, not %d", c.Members))
	}
	if c.Rooms >= 1 && c.Members >= 1 && c.Rooms*c.Members > MaxClients {
		errs = append(errs, fmt.Errorf("%d rooms of %d members is %d clients, more than %d", c.Rooms, c.Members, c.Rooms*c.Members, MaxClients))
	}
	errs = append(errs, checkRun(c.Rate, c.Duration, c.Drain))
	if c.DialTimeout < 0 || c.ReadyTimeout < 0 || c.DialTimeout > MaxDuration || c.ReadyTimeout > MaxDuration {
		errs = append(errs, fmt.Errorf("timeouts must be between 0 and %s", MaxDuration))
	}
	if c.DialWorkers < 1 {
		errs = append(errs, fmt.Errorf("dial workers must be at least 1, not %d", c.DialWorkers))
	}
	return errors.Join(errs...)
}

func checkRun(rate float64, duration, drain time.Duration) error {
	var errs []error
	if !(rate > 0 && rate <= MaxRate) {
		errs = append(errs, fmt.Errorf("rate must be above 0 and at most %d/s, not %g", MaxRate, rate))
	}
	if duration <= 0 || duration > MaxDuration {
		errs = append(errs, fmt.Errorf("duration must be above 0 and at most %s, not %s", MaxDuration, duration))
	}
	if drain < 0 || drain > MaxDuration {
		errs = append(errs, fmt.Errorf("drain must be between 0 and %s, not %s", MaxDuration, drain))
	}
	return errors.Join(errs...)
}

// ParseRate parses a rate of messages per second: "500", "500/s" or "30000/m".
func ParseRate(s string) (float64, error) {
	num, unit, found := strings.Cut(strings.TrimSpace(s), "/")
	per := 1.0
	if found {
		switch strings.TrimSpace(unit) {
		case "s":
		case "m":
			per = 60
		default:
			return 0, fmt.Errorf("rate %q: unit must be /s or /m", s)
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil {
		return 0, fmt.Errorf("rate %q: %w", s, err)
	}
	if !(n > 0) {
		return 0, fmt.Errorf("rate %q must be above 0", s)
	}
	return n / per, nil
}

// CheckTargets reports every target that is not a ws:// or wss:// URL with a host, or,
// unless allowRemote, whose host is not a loopback address ("localhost", 127.0.0.0/8,
// ::1).
func CheckTargets(targets []string, allowRemote bool) error {
	if len(targets) == 0 {
		return errors.New("no targets")
	}
	var errs []error
	for _, t := range targets {
		u, err := url.Parse(t)
		if err != nil {
			errs = append(errs, fmt.Errorf("target %q: %w", t, err))
			continue
		}
		if u.Scheme != "ws" && u.Scheme != "wss" {
			errs = append(errs, fmt.Errorf("target %q: scheme must be ws or wss", t))
			continue
		}
		if u.Hostname() == "" {
			errs = append(errs, fmt.Errorf("target %q: no host", t))
			continue
		}
		if !allowRemote && !isLoopback(u.Hostname()) {
			errs = append(errs, fmt.Errorf("target %q is not a loopback address (allow it with AllowRemote, -allow-remote)", t))
		}
	}
	return errors.Join(errs...)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// wsURL returns the WebSocket URL of room and name on target.
func wsURL(target, room, name string) string {
	return strings.TrimRight(target, "/") + "/ws?room=" + url.QueryEscape(room) + "&name=" + url.QueryEscape(name)
}
