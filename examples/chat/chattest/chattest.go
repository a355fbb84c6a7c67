// Package chattest runs chat instances in process for tests: the end-to-end tests of
// examples/chat and the load tests of chatload build them the same way.
package chattest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/millrace/millrace/examples/chat"
	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/topology"
)

// StartTimeout is how long Start waits for an instance to consume its topics.
const StartTimeout = 30 * time.Second

// Options say which chat topics and history an instance uses.
type Options struct {
	// MessagesTopic and PresenceTopic are the instance's chat topics; the topology
	// declares both with delivery: broadcast.
	MessagesTopic, PresenceTopic string
	// History chooses where the history of MessagesTopic is kept.
	History chat.HistoryOptions
	// Tune, when set, changes the Config before the App is built.
	Tune func(*chat.Config)
}

// Instance is one chat running in process on a free port of 127.0.0.1.
type Instance struct {
	App *chat.App
	// Stop stops the App, then closes its history and bus, reporting their errors to
	// the test. It runs once: the test's cleanup calls it too.
	Stop func()
}

// Addr returns the address the instance serves on.
func (i *Instance) Addr() string { return i.App.Addr() }

// Start opens a bus and a history on topo, runs a chat App on them until the test ends
// or Stop, and returns once the App consumes its topics.
func Start(tb testing.TB, topo *topology.Topology, o Options) *Instance {
	tb.Helper()
	b, err := bus.Open(topo, bus.Options{})
	if err != nil {
		tb.Fatalf("open bus: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hist, closeHist, err := chat.OpenHistory(ctx, topo, "", o.MessagesTopic, o.History, nil)
	if err != nil {
		cancel()
		_ = b.Close()
		tb.Fatalf("open history: %v", err)
	}
	cfg := chat.Config{
		Topology: topo, Bus: b, History: hist, Addr: "127.0.0.1:0",
		MessagesTopic: o.MessagesTopic, PresenceTopic: o.PresenceTopic,
	}
	if o.Tune != nil {
		o.Tune(&cfg)
	}
	app, err := chat.New(cfg)
	if err != nil {
		cancel()
		closeHist()
		_ = b.Close()
		tb.Fatalf("new chat app: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("chat app run: %v", err)
			}
			closeHist()
			if err := b.Close(); err != nil {
				tb.Errorf("close bus: %v", err)
			}
		})
	}
	tb.Cleanup(stop)
	select {
	case <-app.Running():
	case err := <-done:
		done <- nil // reported here; Stop has nothing left to report
		tb.Fatalf("chat app stopped: %v", err)
	case <-time.After(StartTimeout):
		tb.Fatal("chat app not running")
	}
	return &Instance{App: app, Stop: stop}
}
