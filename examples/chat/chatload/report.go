package chatload

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Latency is a distribution of send-to-receive latencies in milliseconds.
type Latency struct {
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// latencyOf returns the nearest-rank percentiles of ns (nanoseconds); it sorts ns.
func latencyOf(ns []int64) Latency {
	if len(ns) == 0 {
		return Latency{}
	}
	slices.Sort(ns)
	at := func(p float64) float64 {
		i := int(p*float64(len(ns))+0.999999) - 1
		i = max(0, min(i, len(ns)-1))
		return float64(ns[i]) / float64(time.Millisecond)
	}
	return Latency{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: float64(ns[len(ns)-1]) / float64(time.Millisecond)}
}

// Report is the result of Run.
type Report struct {
	Targets []string `json:"targets"`
	// Clients is the number of clients connected; Rooms × MembersPerRoom were asked for.
	Clients        int `json:"clients"`
	Rooms          int `json:"rooms"`
	MembersPerRoom int `json:"members_per_room"`
	// Rate is the total messages/s asked for; Duration the seconds messages were sent.
	Rate     float64 `json:"rate"`
	Duration float64 `json:"duration_s"`
	// Sent messages were written, Accepted answered ok, Rejected answered ok:false;
	// Unanswered got no answer by the end of the drain.
	Sent       int64 `json:"sent"`
	Accepted   int64 `json:"accepted"`
	Rejected   int64 `json:"rejected"`
	Unanswered int64 `json:"unanswered"`
	// OfferedPerSec is Sent per second of Duration.
	OfferedPerSec float64 `json:"offered_per_s"`
	// Expected deliveries are accepted messages × members of their room; Delivered the
	// distinct ones received, Lost the difference, Duplicates the repeated ones.
	Expected        int64   `json:"expected_deliveries"`
	Delivered       int64   `json:"delivered"`
	DeliveredPerSec float64 `json:"delivered_per_s"`
	Lost            int64   `json:"lost"`
	Duplicates      int64   `json:"duplicates"`
	// Late deliveries arrived after their phase had ended.
	Late    int64   `json:"late"`
	Latency Latency `json:"latency"`
	// FromServer is the part of the latency after the server took the message (its
	// sent_at; meaningful when load and servers share a machine's clock): history,
	// publishing, the broker, the fanout and the write to the member.
	FromServer Latency `json:"latency_from_server"`
	// ConnectErrors are clients that could not connect, Disconnects connections that
	// ended before the load closed them, WriteErrors messages that could not be written.
	ConnectErrors int64 `json:"connect_errors"`
	Disconnects   int64 `json:"disconnects"`
	WriteErrors   int64 `json:"write_errors"`
	// ConnectSeconds is how long connecting every client took.
	ConnectSeconds float64 `json:"connect_s"`
	// Errors are the first distinct error messages.
	Errors []string `json:"errors,omitempty"`
}

// fill sets the figures of r from a phase result.
func (r *Report) fill(p phaseResult) {
	secs := p.sendTime.Seconds()
	r.Duration = secs
	r.Sent, r.Accepted, r.Rejected, r.WriteErrors = p.sent, p.accepted, p.rejected, p.writeErrs
	r.Unanswered = max(0, p.sent-p.writeErrs-p.accepted-p.rejected)
	r.Expected, r.Delivered, r.Duplicates = p.expected, p.delivered, p.duplicates
	r.Lost = max(0, p.expected-p.delivered)
	if secs > 0 {
		r.OfferedPerSec = float64(p.sent) / secs
		r.DeliveredPerSec = float64(p.delivered) / secs
	}
	r.Latency = latencyOf(p.latencies)
	r.FromServer = latencyOf(p.fromServer)
}

// OK reports whether every expected delivery arrived once, every message was accepted
// and every client stayed connected.
func (r *Report) OK() bool {
	return r.Lost == 0 && r.Duplicates == 0 && r.Rejected == 0 && r.Unanswered == 0 &&
		r.ConnectErrors == 0 && r.Disconnects == 0 && r.WriteErrors == 0
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "targets     %s\n", strings.Join(r.Targets, ", "))
	fmt.Fprintf(&b, "clients     %d in %d rooms of %d (connected in %.1fs)\n", r.Clients, r.Rooms, r.MembersPerRoom, r.ConnectSeconds)
	fmt.Fprintf(&b, "offered     %.1f msgs/s (%d sent in %.1fs at %g/s asked; %d accepted, %d rejected, %d unanswered)\n",
		r.OfferedPerSec, r.Sent, r.Duration, r.Rate, r.Accepted, r.Rejected, r.Unanswered)
	fmt.Fprintf(&b, "delivered   %.1f msgs/s (%d of %d expected; lost %d, duplicates %d, late %d)\n",
		r.DeliveredPerSec, r.Delivered, r.Expected, r.Lost, r.Duplicates, r.Late)
	fmt.Fprintf(&b, "latency     p50 %.1fms  p90 %.1fms  p99 %.1fms  max %.1fms\n", r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max)
	fmt.Fprintf(&b, "from server p50 %.1fms  p90 %.1fms  p99 %.1fms  max %.1fms (after the server took the message)\n",
		r.FromServer.P50, r.FromServer.P90, r.FromServer.P99, r.FromServer.Max)
	fmt.Fprintf(&b, "errors      %d connect, %d disconnects, %d writes\n", r.ConnectErrors, r.Disconnects, r.WriteErrors)
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Step is one room size measured by FindRoomLimit.
type Step struct {
	Members int `json:"members"`
	// Attempt counts the measurements of this size, from 1.
	Attempt int `json:"attempt"`
	// Over says why the size was over; empty when it stayed under.
	Over string `json:"over,omitempty"`
	Report
}

// RoomLimit is the result of FindRoomLimit.
type RoomLimit struct {
	Targets []string `json:"targets"`
	Rate    float64  `json:"rate"`
	// P99Limit is the latency, in milliseconds, the p99 had to stay under.
	P99Limit float64 `json:"p99_limit_ms"`
	// Limit is the largest room size with an attempt that stayed under P99Limit without
	// loss; 0 when none did.
	Limit int `json:"limit"`
	// Stopped says why the search ended.
	Stopped string `json:"stopped"`
	Steps   []Step `json:"steps"`
}

// WriteText writes the result for people, one line per step.
func (l *RoomLimit) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "room limit at %g msgs/s, p99 under %gms: %d members (%s)\n", l.Rate, l.P99Limit, l.Limit, l.Stopped)
	fmt.Fprintf(&b, "%8s %3s %10s %12s %6s %5s %8s %8s %8s  %s\n", "members", "try", "offered/s", "delivered/s", "lost", "dup", "p50ms", "p99ms", "maxms", "over")
	for _, s := range l.Steps {
		fmt.Fprintf(&b, "%8d %3d %10.1f %12.1f %6d %5d %8.1f %8.1f %8.1f  %s\n", s.Members, s.Attempt, s.OfferedPerSec, s.DeliveredPerSec,
			s.Lost, s.Duplicates, s.Latency.P50, s.Latency.P99, s.Latency.Max, s.Over)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
