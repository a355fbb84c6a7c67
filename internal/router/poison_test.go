package router_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/testenv"
)

// syncBuffer is a bytes.Buffer that handlers of several goroutines may write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestPoisonedNamesHandlerAndGroup: a poisoned copy names the consumer group it was
// received in as its subscriber (not a Go type), and the "message poisoned" log line
// names the handler once.
func TestPoisonedNamesHandlerAndGroup(t *testing.T) {
	h := goChannelHarness(t)
	s := suffix(t)
	topo := h.parse(t, s, `topics:
  t{s}.step.a: {transport: tr}
handlers:
  strict-{s}: {topic: t{s}.step.a, group: clerks-{s}}
`)
	b := h.open(t, topo, "")
	topic := topicOf(s, stepA{})
	poison := probe(t, b, "poison-reader-"+s, topic+".poison")
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	handler := event.NewHandler("strict-"+s, func(context.Context, *stepA) error {
		return router.Permanent(errors.New("refused"))
	})
	start(t, router.Config{Topology: topo, Bus: b, Logger: logger, Handlers: []router.Handler{handler}})
	if err := eventBus(t, b, s).Publish(context.Background(), stepA{N: 1}); err != nil {
		t.Fatal(err)
	}

	m := receive(t, poison, "poisoned message")
	if got := m.Metadata.Get(middleware.PoisonedSubscriberKey); got != "clerks-"+s {
		t.Errorf("%s = %q, want the consumer group %q", middleware.PoisonedSubscriberKey, got, "clerks-"+s)
	}
	var line string
	testenv.Eventually(t, "message poisoned log line", wait, func() bool {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, `msg="message poisoned"`) {
				line = l
				return true
			}
		}
		return false
	})
	if n := strings.Count(line, " handler="); n != 1 {
		t.Errorf("log line has handler= %d times, want once:\n%s", n, line)
	}
	if !strings.Contains(line, " handler=strict-"+s) {
		t.Errorf("log line does not name the handler:\n%s", line)
	}
}
