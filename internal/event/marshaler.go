package event

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/metadata"
)

// Marshaler turns events into messages and back: a cqrs marshaler encoding JSON like
// Watermill's cqrs.JSONMarshaler, naming events by Type (so names do not depend on Go
// package paths) and carrying the CloudEvents attributes as metadata. The zero value is
// usable but leaves ce_source empty.
type Marshaler struct {
	// Source is the ce_source attribute: the publishing service.
	Source string
	// Now returns the ce_time of a new message (default time.Now).
	Now func() time.Time
	// NewUUID returns a new message id (default watermill.NewUUID).
	NewUUID func() string
}

var _ cqrs.CommandEventMarshaler = Marshaler{}

// Marshal encodes v, an Event or a pointer to one, as a JSON message with the
// CloudEvents attributes set. Correlation and causation are left to the caller (Publisher).
// The event type is ce_type only: Watermill's cqrs "name" key would repeat it.
func (m Marshaler) Marshal(v any) (*message.Message, error) {
	ev, ok := v.(Event)
	if !ok {
		return nil, fmt.Errorf("marshal %T: not an event.Event", v)
	}
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", Type(ev), err)
	}
	newUUID, now := watermill.NewUUID, time.Now
	if m.NewUUID != nil {
		newUUID = m.NewUUID
	}
	if m.Now != nil {
		now = m.Now
	}
	msg := message.NewMessage(newUUID(), payload)
	msg.Metadata.Set(metadata.KeyID, msg.UUID)
	msg.Metadata.Set(metadata.KeyType, Type(ev))
	msg.Metadata.Set(metadata.KeySource, m.Source)
	msg.Metadata.Set(metadata.KeyTime, now().UTC().Format(time.RFC3339Nano))
	msg.Metadata.Set(metadata.KeySpecVersion, metadata.SpecVersion)
	return msg, nil
}

// Unmarshal decodes the JSON payload of msg into v.
func (m Marshaler) Unmarshal(msg *message.Message, v any) error {
	if err := json.Unmarshal(msg.Payload, v); err != nil {
		return fmt.Errorf("decode payload of message %s: %w", msg.UUID, err)
	}
	return nil
}

// Name returns the CloudEvents type of v when it is an Event, and Watermill's fully
// qualified struct name otherwise.
func (Marshaler) Name(v any) string {
	if ev, ok := v.(Event); ok {
		return Type(ev)
	}
	return cqrs.FullyQualifiedStructName(v)
}

// NameFromMessage returns the ce_type of msg, or the cqrs "name" metadata of a message
// without one.
func (Marshaler) NameFromMessage(msg *message.Message) string {
	return MessageType(msg)
}
