package redisstream_test

import (
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/millrace/millrace/internal/transport"
	_ "github.com/millrace/millrace/internal/transport/builtin"
	"github.com/millrace/millrace/topology"
)

func mustNew(t *testing.T, cfg *topology.Transport) transport.Transport {
	t.Helper()
	tr, err := transport.New(cfg, watermill.NopLogger{})
	if err != nil {
		t.Fatalf("new transport: %v", err)
	}
	t.Cleanup(func() {
		if err := tr.Close(); err != nil {
			t.Errorf("close transport: %v", err)
		}
	})
	return tr
}

// uniqueTopic returns a topic name no other test run uses.
func uniqueTopic(prefix string) string {
	return prefix + "_" + strings.ToLower(watermill.NewShortUUID())
}
