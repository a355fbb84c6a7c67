package chatload_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/millrace/millrace/examples/chat"
	"github.com/millrace/millrace/examples/chat/chatload"
	"github.com/millrace/millrace/examples/chat/chattest"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// startChats runs n chat instances in process on Redis Streams, on chat topics and
// history keys of their own, and returns their ws:// base URLs.
func startChats(t *testing.T, n int) []string {
	t.Helper()
	id := fmt.Sprintf("%x", time.Now().UnixNano())
	prefix := "chatload" + id
	yaml := fmt.Sprintf(`version: 1
transports:
  t: {kind: redisstream, addr: %q}
topics:
  %[2]s.messages: {transport: t, delivery: broadcast}
  %[2]s.presence: {transport: t, delivery: broadcast}
handlers:
  chat-fanout: {topic: "%[2]s.*"}
`, testenv.Redis(t), prefix)
	topo, err := topology.Parse("chatload-test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("parse topology: %v\n%s", err, yaml)
	}
	historyPrefix := "millrace:test:chatload:" + id + ":"
	t.Cleanup(func() {
		for _, topic := range []string{prefix + ".messages", prefix + ".presence"} {
			testenv.DropTopic(t, topo.Transports["t"], topic)
		}
		dropKeys(t, testenv.Redis(t), historyPrefix)
	})
	var targets []string
	for range n {
		in := chattest.Start(t, topo, chattest.Options{
			MessagesTopic: prefix + ".messages", PresenceTopic: prefix + ".presence",
			History: chat.HistoryOptions{RedisPrefix: historyPrefix},
		})
		targets = append(targets, "ws://"+in.Addr())
	}
	return targets
}

// dropKeys deletes the history lists the chats kept under prefix.
func dropKeys(t *testing.T, addr, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := redis.NewClient(&redis.Options{Addr: addr})
	defer client.Close()
	keys, err := client.Keys(ctx, prefix+"*").Result()
	if err == nil && len(keys) > 0 {
		err = client.Del(ctx, keys...).Err()
	}
	if err != nil {
		t.Logf("drop history keys %s*: %v", prefix, err)
	}
}

// TestRunTwoInstances runs a short load over two instances on Redis Streams and checks
// that the report adds up: every expected delivery arrived once, nothing was refused or
// cut off, and the latencies are positive and ordered.
func TestRunTwoInstances(t *testing.T) {
	targets := startChats(t, 2)
	const rooms, members = 3, 4
	rep, err := chatload.Run(context.Background(), chatload.Config{
		Targets: targets, Rooms: rooms, Members: members, Rate: 30,
		Duration: 2 * time.Second, Drain: 20 * time.Second, DialTimeout: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", out.String())
	if rep.Clients != rooms*members {
		t.Errorf("clients = %d, want %d", rep.Clients, rooms*members)
	}
	if rep.Sent == 0 || rep.Accepted != rep.Sent {
		t.Errorf("sent %d, accepted %d: want every message accepted", rep.Sent, rep.Accepted)
	}
	if want := rep.Accepted * members; rep.Expected != want {
		t.Errorf("expected deliveries = %d, want accepted × members = %d", rep.Expected, want)
	}
	if rep.Delivered != rep.Expected || rep.Lost != 0 || rep.Duplicates != 0 {
		t.Errorf("delivered %d of %d, lost %d, duplicates %d: want all once", rep.Delivered, rep.Expected, rep.Lost, rep.Duplicates)
	}
	if rep.ConnectErrors != 0 || rep.Disconnects != 0 || rep.WriteErrors != 0 || rep.Rejected != 0 || rep.Unanswered != 0 {
		t.Errorf("errors in the report: %+v", rep)
	}
	if !rep.OK() {
		t.Error("OK() = false for a clean run")
	}
	l := rep.Latency
	if !(l.P50 > 0 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("latencies not positive and ordered: %+v", l)
	}
	if rep.OfferedPerSec <= 0 || rep.DeliveredPerSec <= 0 {
		t.Errorf("rates offered %g, delivered %g: want positive", rep.OfferedPerSec, rep.DeliveredPerSec)
	}
}

// TestFindRoomLimitSteps runs a two-step room limit search and checks that each step
// measured a room of its size and that the limit is a step that stayed under the p99
// limit.
func TestFindRoomLimitSteps(t *testing.T) {
	targets := startChats(t, 2)
	res, err := chatload.FindRoomLimit(context.Background(), chatload.RoomLimitConfig{
		Targets: targets, Rate: 20, Start: 2, Growth: 2, Max: 4,
		StepDuration: time.Second, Drain: 20 * time.Second, DialTimeout: 30 * time.Second,
		// Far above anything this machine does: the search reaches Max.
		P99Limit: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := res.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	t.Logf("room limit:\n%s", out.String())
	if len(res.Steps) != 2 || res.Steps[0].Members != 2 || res.Steps[1].Members != 4 {
		t.Fatalf("steps %+v, want sizes 2 then 4", res.Steps)
	}
	for _, s := range res.Steps {
		if s.Attempt != 1 || s.Over != "" {
			t.Errorf("step of %d: attempt %d, over %q; want 1 and under", s.Members, s.Attempt, s.Over)
		}
		if s.Clients != s.Members || s.Lost != 0 || s.Duplicates != 0 || s.Delivered != s.Accepted*int64(s.Members) {
			t.Errorf("step of %d: clients %d, delivered %d of %d accepted × members, lost %d, duplicates %d",
				s.Members, s.Clients, s.Delivered, s.Accepted, s.Lost, s.Duplicates)
		}
	}
	if res.Limit != 4 || !strings.Contains(res.Stopped, "maximum") {
		t.Errorf("limit %d (%s), want 4 after reaching the maximum", res.Limit, res.Stopped)
	}
}

// TestFindRoomLimitNoneUnder checks a search where no size can stay under the p99 limit:
// the first size is measured 1+Retries times, each attempt says why it was over, and the
// limit is 0.
func TestFindRoomLimitNoneUnder(t *testing.T) {
	targets := startChats(t, 2)
	res, err := chatload.FindRoomLimit(context.Background(), chatload.RoomLimitConfig{
		Targets: targets, Rate: 20, Start: 2, Retries: 1,
		StepDuration: time.Second, Drain: 20 * time.Second, DialTimeout: 30 * time.Second,
		P99Limit: time.Nanosecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Limit != 0 || len(res.Steps) != 2 {
		t.Fatalf("limit %d after %d steps, want 0 after 2: %+v", res.Limit, len(res.Steps), res.Steps)
	}
	for i, s := range res.Steps {
		if s.Members != 2 || s.Attempt != i+1 || !strings.HasPrefix(s.Over, "p99") || s.Lost != 0 {
			t.Errorf("step %d: members %d, attempt %d, over %q, lost %d; want 2, %d, a p99, 0", i, s.Members, s.Attempt, s.Over, s.Lost, i+1)
		}
	}
}
