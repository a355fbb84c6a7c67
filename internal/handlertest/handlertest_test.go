package handlertest_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/handlertest"
	"github.com/millrace/millrace/internal/router"
)

func TestLogsWaitMatchesRecordsLoggedLater(t *testing.T) {
	logs := handlertest.NewLogs()
	logger := logs.Logger().With("handler", "h")
	ctx := correlation.WithID(context.Background(), "corr-1")
	logger.InfoContext(context.Background(), "first")
	go func() {
		time.Sleep(10 * time.Millisecond)
		logger.WithGroup("g").InfoContext(ctx, "second", "n", 2)
	}()
	got := logs.Wait(t, 10*time.Second, func(r handlertest.Record) bool { return r.CorrelationID == "corr-1" })
	if got.Message != "second" || got.Attrs["handler"] != "h" || got.Attrs["n"] != "2" {
		t.Errorf("got %+v", got)
	}
	if n := len(logs.Records()); n != 2 {
		t.Errorf("%d records, want 2", n)
	}
}

// TestStartRunsHandlersOnTheLocalProfile registers a handler under the name of a
// handler the local profile declares, publishes its event and waits for it; a
// handler that fails permanently is not retried.
func TestStartRunsHandlersOnTheLocalProfile(t *testing.T) {
	t.Setenv("MILLRACE_TOPOLOGY", "local")
	calls := make(chan string, 10)
	h := event.NewHandler("update-user-stats", func(ctx context.Context, ev *probe) error {
		calls <- correlation.ID(ctx)
		return router.Permanent(errors.New("stop here"))
	})
	stack := handlertest.Start(t, h)
	if stack.Topology.File != "local.yaml" {
		t.Errorf("topology %s", stack.Topology.File)
	}
	ctx := correlation.WithID(context.Background(), "corr-2")
	if err := stack.Events.Publish(ctx, probe{}); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-calls:
		if id != "corr-2" {
			t.Errorf("correlation id %q", id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("handler not called")
	}
	select {
	case <-calls:
		t.Error("a permanent error was retried")
	case <-time.After(200 * time.Millisecond):
	}
}

// probe is an event on users.registered, which update-user-stats consumes in the
// local profile.
type probe struct{}

func (probe) EventName() string { return "users.registered" }
func (probe) EventVersion() int { return 7 }

func TestStartFailsOnAnUnknownProfile(t *testing.T) {
	t.Setenv("MILLRACE_TOPOLOGY", "no-such-profile")
	ft := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		handlertest.Start(ft)
	}()
	<-done
	if !strings.Contains(ft.msg, `unknown profile "no-such-profile"`) {
		t.Errorf("fatal message %q", ft.msg)
	}
}

// fatalRecorder records the message of Fatalf and ends the goroutine like the
// testing package does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestStartKeepsToItsOwnTopics runs a handler of the local profile through Start: the
// stack's topology declares only topics under its namespace, and the handler receives
// the event on the namespaced topic, never on the profile's own.
func TestStartKeepsToItsOwnTopics(t *testing.T) {
	t.Setenv("MILLRACE_TOPOLOGY", "local")
	topics := make(chan string, 1)
	h := event.NewHandler("update-user-stats", func(ctx context.Context, ev *probe) error {
		topics <- message.SubscribeTopicFromCtx(ctx)
		return nil
	})
	stack := handlertest.Start(t, h)
	if !strings.HasPrefix(stack.Namespace, "t") || !strings.HasSuffix(stack.Namespace, ".") {
		t.Fatalf("namespace %q", stack.Namespace)
	}
	for _, tp := range stack.Topology.Topics {
		if !strings.HasPrefix(tp.Name, stack.Namespace) {
			t.Errorf("topic %s outside the namespace %s", tp.Name, stack.Namespace)
		}
	}
	if _, err := stack.Topology.Resolve("users.registered"); err == nil {
		t.Error("the profile's own users.registered is still declared")
	}
	if err := stack.Events.Publish(context.Background(), probe{}); err != nil {
		t.Fatal(err)
	}
	select {
	case topic := <-topics:
		if topic != stack.Namespace+"users.registered" {
			t.Errorf("handled from %q, want %q", topic, stack.Namespace+"users.registered")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("handler not called")
	}
}
