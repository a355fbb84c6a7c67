package transporttest

import (
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/millrace/millrace/internal/transport"
	_ "github.com/millrace/millrace/internal/transport/builtin" // the shipped kinds
	"github.com/millrace/millrace/topology"
)

// Open opens the transport cfg describes, failing the test on error, and closes it
// when the test ends.
func Open(tb testing.TB, cfg *topology.Transport) transport.Transport {
	tb.Helper()
	tr, err := transport.New(cfg, watermill.NopLogger{})
	if err != nil {
		tb.Fatalf("new transport: %v", err)
	}
	tb.Cleanup(func() {
		if err := tr.Close(); err != nil {
			tb.Errorf("close transport: %v", err)
		}
	})
	return tr
}

// Topic returns a topic name starting with prefix that no other test run uses.
func Topic(prefix string) string {
	return prefix + "_" + strings.ToLower(watermill.NewShortUUID())
}
