package outbox

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/millrace/millrace/internal/testenv"
)

// gatedPublisher publishes after release is closed, counting how many publishes run at
// once, and fails the messages named in fail.
type gatedPublisher struct {
	release       chan struct{}
	fail          map[string]bool
	running, peak atomic.Int32
	mu            sync.Mutex
	published     []string
}

func (p *gatedPublisher) Publish(_ string, msgs ...*message.Message) error {
	n := p.running.Add(1)
	defer p.running.Add(-1)
	for {
		peak := p.peak.Load()
		if n <= peak || p.peak.CompareAndSwap(peak, n) {
			break
		}
	}
	<-p.release
	for _, m := range msgs {
		if m.Context().Err() != nil {
			return m.Context().Err()
		}
		if p.fail[m.UUID] {
			return errors.New("refused " + m.UUID)
		}
		p.mu.Lock()
		p.published = append(p.published, m.UUID)
		p.mu.Unlock()
	}
	return nil
}

func (p *gatedPublisher) Close() error { return nil }

func TestPipelineBoundsPublishesInFlight(t *testing.T) {
	out := &gatedPublisher{release: make(chan struct{})}
	p := newPipeline(out, 3)
	started := make(chan struct{})
	go func() {
		defer close(started)
		for _, id := range []string{"a", "b", "c", "d", "e"} {
			// The delivery's context ends as soon as Publish returns, as the outbox
			// subscriber's does once the forwarder acks.
			ctx, cancel := context.WithCancel(context.Background())
			m := message.NewMessage(id, nil)
			m.SetContext(ctx)
			if err := p.Publish("t", m); err != nil {
				t.Error(err)
			}
			cancel()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for out.running.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	select {
	case <-started:
		t.Fatal("five publishes started with three slots")
	case <-time.After(50 * time.Millisecond):
	}
	close(out.release)
	<-started
	if err := p.wait(); err != nil {
		t.Fatalf("wait: %v", err)
	}
	if got := out.peak.Load(); got != 3 {
		t.Errorf("at most %d publishes ran at once, want 3", got)
	}
	if len(out.published) != 5 {
		t.Errorf("published %v, want all five despite their ended contexts", out.published)
	}
}

func TestPipelineStopsBatchAfterFailure(t *testing.T) {
	out := &gatedPublisher{release: make(chan struct{}), fail: map[string]bool{"b": true}}
	close(out.release)
	p := newPipeline(out, 1)
	for _, id := range []string{"a", "b"} {
		if err := p.Publish("t", message.NewMessage(id, nil)); err != nil {
			t.Fatal(err)
		}
	}
	p.wg.Wait() // b has failed
	if err := p.Publish("t", message.NewMessage("c", nil)); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); err == nil {
		t.Fatal("wait reported no failure after b was refused")
	}
	if err := p.wait(); err != nil {
		t.Fatalf("second wait: %v; the failure should be reported once", err)
	}
	if err := p.Publish("t", message.NewMessage("d", nil)); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "d"}; len(out.published) != 2 || out.published[0] != want[0] || out.published[1] != want[1] {
		t.Errorf("published %v, want %v: nothing of a failed batch after the failure", out.published, want)
	}
}

// TestNoAckRunsOnEveryDialect runs the query a failed batch gets instead of its ack, in
// a transaction as the subscriber does, on each database an outbox can live in.
func TestNoAckRunsOnEveryDialect(t *testing.T) {
	for _, tc := range []struct{ name, driver, dsn string }{
		{"postgres", "pgx", testenv.Postgres(t)},
		{"mysql", "mysql", testenv.MySQL(t)},
		{"sqlite", "sqlite", filepath.Join(t.TempDir(), "outbox.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sql.Open(tc.driver, tc.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			tx, err := db.BeginTx(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(context.Background(), noAck.Query, noAck.Args...); err != nil {
				t.Fatalf("%s: %v", noAck.Query, err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatalf("commit after %s: %v", noAck.Query, err)
			}
		})
	}
}
