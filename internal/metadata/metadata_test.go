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
