package metadata

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// Metadata keys of event messages.
const (
	KeyID              = "ce_id"
	KeyType            = "ce_type"
	KeySource          = "ce_source"
	KeyTime            = "ce_time"
	KeySpecVersion     = "ce_specversion"
	KeyDataContentType = "ce_datacontenttype"
	// KeyCorrelationID is Watermill's correlation id key, so its middleware and
	// ours agree.
	KeyCorrelationID = middleware.CorrelationIDMetadataKey
	KeyCausationID   = "causation_id"
)

// AttributeKey returns the metadata key that holds the CloudEvents attribute name
// ("source" is in "ce_source"); the correlationid and causationid extensions are in the
// flow id keys.
func AttributeKey(name string) string {
	switch name {
	case "correlationid":
		return KeyCorrelationID
	case "causationid":
		return KeyCausationID
	}
	return "ce_" + name
}

// Values of the fixed CloudEvents attributes.
const (
	SpecVersion     = "1.0"
	DataContentType = "application/json"
)

// RestoreEventID puts back the ce_id of an event (a message with ce_specversion) that
// a codec left out of what it stored because it equalled the message UUID.
func RestoreEventID(msg *message.Message) {
	if _, ok := msg.Metadata[KeyID]; !ok && msg.Metadata[KeySpecVersion] != "" && msg.UUID != "" {
		msg.Metadata.Set(KeyID, msg.UUID)
	}
}

// Release marks msg as given up by whoever publishes it: once msg is passed to a
// publisher, the caller neither reads nor writes it again. A transport that keeps
// messages in memory may then deliver msg itself to a consumer rather than a copy, which
// is also why a publisher decorator must not read or write a message after passing it
// on.
func Release(msg *message.Message) {
	msg.SetContext(context.WithValue(msg.Context(), releasedKey{}, true))
}

// Released reports whether msg was released (see Release).
func Released(msg *message.Message) bool {
	released, _ := msg.Context().Value(releasedKey{}).(bool)
	return released
}

// releasedKey is the context key marking a released message (see Release).
type releasedKey struct{}
