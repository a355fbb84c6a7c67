package metadata_test

import (
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/metadata"
)

// TestRelease checks that only a released message reports so.
func TestRelease(t *testing.T) {
	msg := message.NewMessage(watermill.NewUUID(), nil)
	if metadata.Released(msg) {
		t.Error("a new message is released")
	}
	metadata.Release(msg)
	if !metadata.Released(msg) {
		t.Error("Release did not release the message")
	}
}

// TestAttributeKey checks where CloudEvents attributes and the flow extensions live.
func TestAttributeKey(t *testing.T) {
	for name, want := range map[string]string{
		"source":        metadata.KeySource,
		"type":          metadata.KeyType,
		"id":            metadata.KeyID,
		"correlationid": metadata.KeyCorrelationID,
		"causationid":   metadata.KeyCausationID,
		"tenant":        "ce_tenant",
	} {
		if got := metadata.AttributeKey(name); got != want {
			t.Errorf("AttributeKey(%q) = %q, want %q", name, got, want)
		}
	}
}
