package metrics_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/metrics"
)

// sink is a publisher that fails while fail is set.
type sink struct{ fail atomic.Bool }

func (s *sink) Publish(string, ...*message.Message) error {
	if s.fail.Load() {
		return errors.New("broker down")
	}
	return nil
}
func (s *sink) Close() error { return nil }

func TestOutboxMetrics(t *testing.T) {
	written := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m, err := metrics.New(metrics.Config{Now: func() time.Time { return written.Add(1500 * time.Millisecond) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	o := m.Outbox("pg")

	out := &sink{}
	pub, err := o.DecoratePublisher(out)
	if err != nil {
		t.Fatal(err)
	}
	msg := message.NewMessage(watermill.NewUUID(), nil)
	msg.Metadata.Set(metadata.KeyTime, written.Format(time.RFC3339Nano))
	if err := pub.Publish("users.registered", msg, message.NewMessage(watermill.NewUUID(), nil)); err != nil {
		t.Fatal(err)
	}
	out.fail.Store(true)
	if err := pub.Publish("users.registered", msg); err == nil {
		t.Fatal("failed publish reported no error")
	}

	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- o.WatchBacklog(ctx, time.Millisecond, func(context.Context) (int, error) {
			if calls.Add(1) >= 3 {
				cancel()
			}
			return 7, nil
		}, nil)
	}()
	if err := <-done; err != nil {
		t.Fatalf("WatchBacklog: %v", err)
	}

	fams := scrape(t, srv.URL+"/metrics")
	l := map[string]string{"outbox": "pg"}
	if got := counter(fams, "millrace_outbox_relayed_total", l); got != 2 {
		t.Errorf("millrace_outbox_relayed_total = %v, want 2", got)
	}
	if got := counter(fams, "millrace_outbox_relay_failures_total", l); got != 1 {
		t.Errorf("millrace_outbox_relay_failures_total = %v, want 1", got)
	}
	if lag := find(fams, "millrace_outbox_relay_lag_seconds", l); lag == nil ||
		lag.GetHistogram().GetSampleCount() != 1 || lag.GetHistogram().GetSampleSum() != 1.5 {
		t.Errorf("millrace_outbox_relay_lag_seconds = %v, want one observation of 1.5s (the message with a ce_time)", lag)
	}
	if b := find(fams, "millrace_outbox_backlog_messages", l); b == nil || b.GetGauge().GetValue() != 7 {
		t.Errorf("millrace_outbox_backlog_messages = %v, want 7", b)
	}
	if err := o.WatchBacklog(context.Background(), 0, nil, nil); err == nil {
		t.Error("WatchBacklog accepted a zero interval")
	}
}
