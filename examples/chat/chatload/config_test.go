package chatload

import (
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{"500": 500, "500/s": 500, " 30000/m ": 500, "0.5/s": 0.5} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %g, %v; want %g", in, got, err, want)
		}
	}
	for _, in := range []string{"", "fast", "500/h", "0", "-3/s", "NaN"} {
		if got, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) = %g, want an error", in, got)
		}
	}
}

func TestCheckTargets(t *testing.T) {
	local := []string{"ws://127.0.0.1:8080", "ws://localhost:8081/", "wss://[::1]:8443", "ws://127.1.2.3:80"}
	if err := CheckTargets(local, false); err != nil {
		t.Errorf("loopback targets refused: %v", err)
	}
	remote := []string{"ws://10.0.0.1:8080", "ws://example.com:8080"}
	err := CheckTargets(remote, false)
	if err == nil {
		t.Fatal("remote targets accepted without AllowRemote")
	}
	for _, r := range remote {
		if !strings.Contains(err.Error(), r) {
			t.Errorf("error %q does not name %s", err, r)
		}
	}
	if err := CheckTargets(remote, true); err != nil {
		t.Errorf("remote targets refused with AllowRemote: %v", err)
	}
	for _, bad := range [][]string{nil, {"http://127.0.0.1:8080"}, {"ws://"}, {"::"}} {
		if err := CheckTargets(bad, true); err == nil {
			t.Errorf("CheckTargets(%q) accepted", bad)
		}
	}
}

func TestConfigBounds(t *testing.T) {
	ok := Config{Targets: []string{"ws://127.0.0.1:1"}}
	ok.setDefaults()
	if err := ok.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for name, mod := range map[string]func(*Config){
		"too many clients": func(c *Config) { c.Rooms, c.Members = 101, 100 },
		"too long":         func(c *Config) { c.Duration = MaxDuration + time.Second },
		"no rate":          func(c *Config) { c.Rate = -1 },
		"remote":           func(c *Config) { c.Targets = []string{"ws://192.0.2.1:8080"} },
		"no rooms":         func(c *Config) { c.Rooms = -1 },
	} {
		c := ok
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	rl := RoomLimitConfig{Targets: ok.Targets}
	rl.setDefaults()
	if err := rl.Validate(); err != nil {
		t.Fatalf("default room limit config: %v", err)
	}
	rl.Growth, rl.Max, rl.Precision, rl.Retries = 1, MaxClients+1, 1.5, 11
	err := rl.Validate()
	for _, want := range []string{"growth", "max", "precision", "retries"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad growth, max, precision and retries: %v, want %s named", err, want)
		}
	}
}

func TestLatencyOf(t *testing.T) {
	ns := make([]int64, 0, 100)
	for i := 100; i >= 1; i-- {
		ns = append(ns, int64(i)*int64(time.Millisecond))
	}
	l := latencyOf(ns)
	if l.P50 != 50 || l.P90 != 90 || l.P99 != 99 || l.Max != 100 {
		t.Errorf("latencyOf(1..100ms) = %+v, want 50/90/99/100", l)
	}
	if l := latencyOf(nil); l != (Latency{}) {
		t.Errorf("latencyOf(nil) = %+v, want zero", l)
	}
}

func TestTextRoundTrip(t *testing.T) {
	s := newSession("r", time.Second)
	m, ok := s.parse(s.text(3, 17, 42, 123456789))
	if !ok || m != (loadText{phase: 3, sender: 17, seq: 42, sent: 123456789}) {
		t.Errorf("parse(text) = %+v, %v", m, ok)
	}
	other := newSession("r", time.Second)
	for _, text := range []string{"hello", other.text(1, 1, 1, 1), "load " + s.run + " 1 2 x 4"} {
		if _, ok := s.parse(text); ok {
			t.Errorf("parse(%q) accepted a text of another run or no load text", text)
		}
	}
}
