package event

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/metadata"
)

// Attributes are the CloudEvents attributes and flow ids of a message.
type Attributes struct {
	ID              string
	Type            string
	Source          string
	Time            time.Time
	SpecVersion     string
	DataContentType string
	CorrelationID   string
	CausationID     string
}

// AttributesOf reads the attributes of msg. It reports every missing required
// attribute and an unparsable time; the flow ids may be empty. DataContentType is
// "application/json" when msg does not say.
func AttributesOf(msg *message.Message) (Attributes, error) {
	md := msg.Metadata
	a := Attributes{
		ID:              md.Get(metadata.KeyID),
		Type:            md.Get(metadata.KeyType),
		Source:          md.Get(metadata.KeySource),
		SpecVersion:     md.Get(metadata.KeySpecVersion),
		DataContentType: md.Get(metadata.KeyDataContentType),
		CorrelationID:   md.Get(metadata.KeyCorrelationID),
		CausationID:     md.Get(metadata.KeyCausationID),
	}
	if a.DataContentType == "" {
		a.DataContentType = metadata.DataContentType
	}
	var errs []error
	for key, v := range map[string]string{
		metadata.KeyID: a.ID, metadata.KeyType: a.Type, metadata.KeySource: a.Source, metadata.KeySpecVersion: a.SpecVersion,
	} {
		if v == "" {
			errs = append(errs, fmt.Errorf("missing %s", key))
		}
	}
	if raw := md.Get(metadata.KeyTime); raw == "" {
		errs = append(errs, fmt.Errorf("missing %s", metadata.KeyTime))
	} else if t, err := time.Parse(time.RFC3339Nano, raw); err != nil {
		errs = append(errs, fmt.Errorf("invalid %s: %w", metadata.KeyTime, err))
	} else {
		a.Time = t
	}
	if err := errors.Join(errs...); err != nil {
		return a, fmt.Errorf("cloudevents attributes of message %s: %w", msg.UUID, err)
	}
	return a, nil
}

// MessageType returns the event type of msg: its ce_type, or the cqrs "name" metadata
// when ce_type is absent.
func MessageType(msg *message.Message) string {
	if t := msg.Metadata.Get(metadata.KeyType); t != "" {
		return t
	}
	return msg.Metadata.Get("name")
}

// CorrelationID returns the correlation id of msg, or "".
func CorrelationID(msg *message.Message) string { return msg.Metadata.Get(metadata.KeyCorrelationID) }

// CausationID returns the causation id of msg: the id of the message whose handling
// published it or, at the edge, of the HTTP request that did when a middleware gives
// requests one; "" otherwise.
func CausationID(msg *message.Message) string { return msg.Metadata.Get(metadata.KeyCausationID) }

// ContextFor returns the context to handle msg in: msg.Context() carrying the
// message's correlation id, its UUID as the causation of anything published while
// handling it, and the message itself for cqrs.OriginalMessageFromCtx.
func ContextFor(msg *message.Message) context.Context {
	ctx := msg.Context()
	if id := CorrelationID(msg); id != "" {
		ctx = correlation.WithFlow(ctx, id, msg.UUID)
	} else {
		ctx = correlation.WithCausation(ctx, msg.UUID)
	}
	return cqrs.CtxWithOriginalMessage(ctx, msg)
}
