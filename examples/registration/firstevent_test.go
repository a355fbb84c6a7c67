package registration_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/testenv"
)

// arrivals records when each message of a topic reached a test consumer group, by
// correlation id.
type arrivals struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (a *arrivals) get(cid string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.at[cid]
	return t, ok
}

// arrivalsOf subscribes a test consumer group to topic (without the prefix) and records
// the arrival time of each message.
func (st *stack) arrivalsOf(topic string) *arrivals {
	st.t.Helper()
	a := &arrivals{at: map[string]time.Time{}}
	st.consume("arrivals", topic, func(m *message.Message) {
		now := time.Now()
		a.mu.Lock()
		if _, seen := a.at[event.CorrelationID(m)]; !seen {
			a.at[event.CorrelationID(m)] = now
		}
		a.mu.Unlock()
	})
	return a
}

// TestFirstRegistrationLatency registers users one after another on the embedded redis
// profile and logs, for each, how long the event took to be relayed to the bus and the
// verification email to be sent: the first registration after start-up against the
// later ones. Each registration must give exactly one relayed event and one email.
func TestFirstRegistrationLatency(t *testing.T) {
	for _, p := range []profile{{name: "redis", embedded: "redis"}, profiles[2]} {
		t.Run(p.name, func(t *testing.T) {
			st := startStack(t, p, options{})
			relayed := st.arrivalsOf("users.registered")
			sent := st.arrivalsOf("mail.sent")
			const n = 5
			for i := range n {
				cid := correlation.New()
				addr := fmt.Sprintf("user%d@example.com", i)
				start := time.Now()
				resp, body := st.register(addr, "User", "correct horse battery", cid)
				accepted := time.Now()
				if resp.StatusCode != http.StatusCreated {
					t.Fatalf("register %d: status %d, body %v", i, resp.StatusCode, body)
				}
				testenv.Eventually(t, "mail.sent of "+addr, flowTimeout, func() bool {
					_, ok := sent.get(cid)
					return ok
				})
				r, ok := relayed.get(cid)
				if !ok {
					t.Fatalf("registration %d: mail.sent arrived, users.registered not", i)
				}
				s, _ := sent.get(cid)
				t.Logf("registration %d: POST %5.1fms, accepted->relayed %6.1fms, accepted->mail.sent %6.1fms",
					i, ms(accepted.Sub(start)), ms(r.Sub(accepted)), ms(s.Sub(accepted)))
				if got := len(st.smtp.to(addr)); got != 1 {
					t.Errorf("registration %d: %d emails, want 1", i, got)
				}
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
