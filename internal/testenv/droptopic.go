package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// DropTopic removes what a test left on transport tr for topic and groups, so unique
// per-run topics do not pile up on the shared local services; each kind says what that
// is (transport.Kind.Drop). Failures are logged, not fatal.
func DropTopic(tb testing.TB, tr *topology.Transport, topic string, groups ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := transport.DropTopic(ctx, tr, topic, groups...); err != nil {
		tb.Logf("drop topic %s: %v", topic, err)
	}
}
