package router_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/testenv"
)

// recorder is an Instrument that records what it is told, one line per event.
type recorder struct {
	mu     sync.Mutex
	events []string
}

type recorderKey struct{}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) StartDelivery(ctx context.Context, reg router.Registration, msg *message.Message) (context.Context, func(router.Outcome)) {
	r.add("delivery %s %s", reg.Handler, msg.Payload)
	return context.WithValue(ctx, recorderKey{}, "delivery"), func(o router.Outcome) {
		r.add("delivery %s", o)
	}
}

func (r *recorder) StartAttempt(ctx context.Context, reg router.Registration, msg *message.Message, attempt int) (context.Context, func(router.Outcome, error)) {
	r.add("attempt %d of %d, context from delivery: %v", attempt, reg.MaxAttempts, ctx.Value(recorderKey{}) == "delivery")
	return context.WithValue(ctx, recorderKey{}, "attempt"), func(o router.Outcome, err error) {
		r.add("attempt %d %s %v", attempt, o, err != nil)
	}
}

// TestInstruments checks that an instrument sees every delivery and attempt with the
// outcome the retry and poison middleware give it, and that the handler runs in the
// context the instrument returned.
func TestInstruments(t *testing.T) {
	cases := []struct {
		name    string
		payload string
		fails   int // attempts that fail before one succeeds
		err     error
		want    []string
	}{
		{"ok", "a", 0, nil, []string{
			"delivery h a", "attempt 1 of 3, context from delivery: true", "attempt 1 ok false", "delivery ok",
		}},
		{"retried", "b", 2, errors.New("flaky"), []string{
			"delivery h b",
			"attempt 1 of 3, context from delivery: true", "attempt 1 retry true",
			"attempt 2 of 3, context from delivery: true", "attempt 2 retry true",
			"attempt 3 of 3, context from delivery: true", "attempt 3 ok false",
			"delivery ok",
		}},
		{"poisoned", "c", 3, errors.New("down"), []string{
			"delivery h c",
			"attempt 1 of 3, context from delivery: true", "attempt 1 retry true",
			"attempt 2 of 3, context from delivery: true", "attempt 2 retry true",
			"attempt 3 of 3, context from delivery: true", "attempt 3 poison true",
			"delivery poison",
		}},
		{"permanent", "d", 1, router.Permanent(errors.New("bad")), []string{
			"delivery h d",
			"attempt 1 of 3, context from delivery: true", "attempt 1 poison true",
			"delivery poison",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := goChannelHarness(t)
			s := suffix(t)
			topo := h.parse(t, s, `topics:
  in.{s}: {transport: tr}
  in.{s}.poison: {transport: tr}
handlers:
  h: {topic: in.{s}}
`)
			b := h.open(t, topo, "")
			poisoned := probe(t, b, "p", "in."+s+".poison")
			rec := &recorder{}
			var mu sync.Mutex
			calls := 0
			var seen []string
			start(t, router.Config{Topology: topo, Bus: b, Instruments: []router.Instrument{rec},
				Handlers: []router.Handler{fnHandler{"h", func(msg *message.Message) error {
					mu.Lock()
					defer mu.Unlock()
					calls++
					seen = append(seen, fmt.Sprint(msg.Context().Value(recorderKey{})))
					if calls <= c.fails {
						return c.err
					}
					return nil
				}}}})
			publish(t, b, "in."+s, message.NewMessage(watermill.NewUUID(), []byte(c.payload)))
			testenv.Eventually(t, "delivery end", wait, func() bool {
				l := rec.lines()
				return len(l) > 0 && strings.HasPrefix(l[len(l)-1], "delivery ") && len(l) > 1
			})
			if got := rec.lines(); !slices.Equal(got, c.want) {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			mu.Lock()
			for i, v := range seen {
				if v != "attempt" {
					t.Errorf("call %d ran in context %q, want the attempt's", i+1, v)
				}
			}
			mu.Unlock()
			if strings.HasSuffix(c.want[len(c.want)-1], "poison") {
				m := receive(t, poisoned, "poisoned message")
				if string(m.Payload) != c.payload {
					t.Errorf("poisoned payload %q, want %q", m.Payload, c.payload)
				}
			}
		})
	}
}
