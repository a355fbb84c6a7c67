// Command chatload is the load generator of the chat example (package chatload): many
// WebSocket clients spread over chat instances, a message rate, and a report of what
// was delivered and how fast; -find-room-limit searches the largest room that stays
// under a p99 latency. Its flags are listed by -help and in examples/chat/README.md.
//
// Exit status: 0 when every expected delivery arrived once with no connection error, 1
// when the run lost, duplicated or was refused messages or lost clients, 2 on a usage
// error.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/millrace/millrace/examples/chat/chatload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args, runs the load or the room limit search and prints the result to
// stdout; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chatload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targets := fs.String("targets", "ws://127.0.0.1:8080,ws://127.0.0.1:8081", "comma-separated chat instances (ws:// URLs)")
	allowRemote := fs.Bool("allow-remote", false, "allow targets that are not loopback addresses")
	rooms := fs.Int("rooms", chatload.DefaultRooms, "number of rooms")
	members := fs.Int("members", chatload.DefaultMembers, "members per room")
	rateFlag := fs.String("rate", "", `total messages offered: "500", "500/s" or "30000/m" (default 500/s, 50/s with -find-room-limit)`)
	duration := fs.Duration("duration", chatload.DefaultDuration, "how long messages are sent")
	drain := fs.Duration("drain", chatload.DefaultDrain, "how long to wait for missing deliveries after the last send")
	dialTimeout := fs.Duration("dial-timeout", chatload.DefaultDialTimeout, "bound of one WebSocket handshake")
	dialWorkers := fs.Int("dial-workers", chatload.DefaultDialWorkers, "handshakes at once")
	readyTimeout := fs.Duration("ready-timeout", chatload.DefaultReadyTimeout, "bound of connecting every client")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	findLimit := fs.Bool("find-room-limit", false, "grow one room until the p99 latency passes -p99-limit")
	roomStart := fs.Int("room-start", chatload.DefaultRoomStart, "first room size of -find-room-limit")
	roomGrowth := fs.Float64("room-growth", chatload.DefaultRoomGrowth, "room size factor between steps of -find-room-limit")
	roomMax := fs.Int("room-max", chatload.DefaultRoomMax, "largest room size of -find-room-limit")
	stepDuration := fs.Duration("step-duration", chatload.DefaultStepDuration, "sending time of each -find-room-limit step")
	p99Limit := fs.Duration("p99-limit", chatload.DefaultP99Limit, "p99 latency a room size must stay under")
	roomRetries := fs.Int("room-retries", chatload.DefaultRoomRetries, "more attempts before a room size counts as over")
	roomPrecision := fs.Float64("room-precision", chatload.DefaultPrecision, "bisection precision, as a fraction of the room size")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "chatload: unexpected arguments %q\n", fs.Args())
		return 2
	}
	var rate float64
	if *rateFlag != "" {
		r, err := chatload.ParseRate(*rateFlag)
		if err != nil {
			fmt.Fprintf(stderr, "chatload: %v\n", err)
			return 2
		}
		rate = r
	}
	var list []string
	for _, t := range strings.Split(*targets, ",") {
		if t = strings.TrimSpace(t); t != "" {
			list = append(list, t)
		}
	}

	if *findLimit {
		res, err := chatload.FindRoomLimit(ctx, chatload.RoomLimitConfig{
			Targets: list, AllowRemote: *allowRemote, Rate: rate,
			Start: *roomStart, Growth: *roomGrowth, Max: *roomMax,
			StepDuration: *stepDuration, Drain: *drain, P99Limit: *p99Limit,
			Retries: retries(*roomRetries), Precision: *roomPrecision,
			DialTimeout: *dialTimeout, DialWorkers: *dialWorkers,
		})
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		if err := output(stdout, *asJSON, res, res.WriteText); err != nil {
			fmt.Fprintf(stderr, "chatload: %v\n", err)
			return 1
		}
		return 0
	}

	rep, err := chatload.Run(ctx, chatload.Config{
		Targets: list, AllowRemote: *allowRemote, Rooms: *rooms, Members: *members, Rate: rate,
		Duration: *duration, Drain: *drain, DialTimeout: *dialTimeout, DialWorkers: *dialWorkers,
		ReadyTimeout: *readyTimeout,
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err := output(stdout, *asJSON, rep, rep.WriteText); err != nil {
		fmt.Fprintf(stderr, "chatload: %v\n", err)
		return 1
	}
	if !rep.OK() {
		return 1
	}
	return 0
}

// retries maps the flag, where 0 means none, to RoomLimitConfig.Retries, where 0 means
// the default.
func retries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// output writes v as indented JSON, or with text.
func output(w io.Writer, asJSON bool, v any, text func(io.Writer) error) error {
	if !asJSON {
		return text(w)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	return nil
}
