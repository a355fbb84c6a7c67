package deliverylog_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/internal/sqldb"
)

// BenchmarkPublishRecorded measures what recording adds to a publish: the decorated
// publisher around a publisher that does nothing, rows written to SQLite in the
// background.
func BenchmarkPublishRecorded(b *testing.B) {
	topo := storeTopology(b, sqldb.SQLite, filepath.Join(b.TempDir(), "log.db"))
	dl, err := deliverylog.Open(context.Background(), deliverylog.Config{Topology: topo})
	if err != nil {
		b.Fatal(err)
	}
	pub, err := dl.DecoratePublisher(nopPublisher{})
	if err != nil {
		b.Fatal(err)
	}
	msg := newMessage("mail.sent.v1", "bench", "")
	b.ReportAllocs()
	for b.Loop() {
		if err := pub.Publish("mail.sent", msg); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := dl.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(dl.Dropped()), "dropped")
}

var _ message.Publisher = nopPublisher{}
