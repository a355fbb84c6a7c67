package event

import (
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// Event is a message type with a stable identity. Name and version must not change
// once events are published: they become the CloudEvents type and the default topic.
// Implement both methods on the value receiver:
//
//	func (UserRegistered) EventName() string { return "users.registered" }
//	func (UserRegistered) EventVersion() int { return 1 }
type Event interface {
	// EventName is the dot-separated name, e.g. "users.registered".
	EventName() string
	// EventVersion is the schema version; a breaking change gets a new version.
	EventVersion() int
}

// Type returns the CloudEvents type of ev: "<name>.v<version>".
func Type(ev Event) string {
	return ev.EventName() + ".v" + strconv.Itoa(ev.EventVersion())
}

// Metadata keys set on every published event message.
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

// Values of the fixed CloudEvents attributes.
const (
	SpecVersion     = "1.0"
	DataContentType = "application/json"
)
