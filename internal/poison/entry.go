package poison

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/millrace/millrace/internal/router"
)

// ReplayedKey is the metadata key counting how many times a message was replayed from a
// poison topic.
const ReplayedKey = "replayed"

// poisonKeys are the metadata keys that describe a poisoning; a replayed message drops
// them.
var poisonKeys = []string{
	middleware.ReasonForPoisonedKey,
	middleware.PoisonedTopicKey,
	middleware.PoisonedHandlerKey,
	middleware.PoisonedSubscriberKey,
	router.AttemptsKey,
	router.PoisonedAtKey,
}

// Entry is one message kept on a poison topic.
type Entry struct {
	// PoisonTopic is the topic the message was poisoned to.
	PoisonTopic string
	// Ref locates the entry in its store (a row offset, a stream entry id, a UUID).
	Ref string
	// Message is the poisoned message with its payload and metadata.
	Message *message.Message
	// StoredAt is when the store received the entry, when the store records it.
	StoredAt time.Time
}

// ID is the entry's message UUID, the name commands use for it on every transport.
func (e Entry) ID() string { return e.Message.UUID }

// Topic is the topic the message was consumed from when it was poisoned.
func (e Entry) Topic() string { return e.Message.Metadata.Get(middleware.PoisonedTopicKey) }

// Handler is the topology handler that failed to handle the message.
func (e Entry) Handler() string { return e.Message.Metadata.Get(middleware.PoisonedHandlerKey) }

// Reason is the error that poisoned the message.
func (e Entry) Reason() string { return e.Message.Metadata.Get(middleware.ReasonForPoisonedKey) }

// Attempts is how many times the handler tried the message, 0 if unknown.
func (e Entry) Attempts() int {
	n, _ := strconv.Atoi(e.Message.Metadata.Get(router.AttemptsKey))
	return n
}

// Replayed is how many times the message was replayed before it was poisoned.
func (e Entry) Replayed() int {
	n, _ := strconv.Atoi(e.Message.Metadata.Get(ReplayedKey))
	return n
}

// Time is when the message was poisoned: its poisoned_at metadata, else the time its
// store received it (zero when neither is known).
func (e Entry) Time() time.Time {
	if t, err := time.Parse(time.RFC3339Nano, e.Message.Metadata.Get(router.PoisonedAtKey)); err == nil {
		return t
	}
	return e.StoredAt
}

// Replay returns the message that sends e back: the same UUID, payload and metadata,
// without the poisoning keys, with ReplayedKey incremented.
func Replay(e Entry) *message.Message {
	msg := message.NewMessage(e.Message.UUID, append([]byte(nil), e.Message.Payload...))
	for k, v := range e.Message.Metadata {
		msg.Metadata.Set(k, v)
	}
	for _, k := range poisonKeys {
		delete(msg.Metadata, k)
	}
	msg.Metadata.Set(ReplayedKey, strconv.Itoa(e.Replayed()+1))
	return msg
}

// Filter selects entries; its zero value selects every entry.
type Filter struct {
	// Topic matches the poisoned topic or the poison topic, exactly.
	Topic string
	// Handler matches the handler name exactly.
	Handler string
	// Reason matches a substring of the reason, ignoring case.
	Reason string
	// Since and Until bound Time (inclusive); zero means unbounded.
	Since, Until time.Time
	// IDs, when not empty, match these message UUIDs only.
	IDs []string
}

// Empty reports whether f selects every entry.
func (f Filter) Empty() bool {
	return f.Topic == "" && f.Handler == "" && f.Reason == "" && f.Since.IsZero() &&
		f.Until.IsZero() && len(f.IDs) == 0
}

// Match reports whether f selects e.
func (f Filter) Match(e Entry) bool {
	if f.Topic != "" && f.Topic != e.Topic() && f.Topic != e.PoisonTopic {
		return false
	}
	if f.Handler != "" && f.Handler != e.Handler() {
		return false
	}
	if f.Reason != "" && !strings.Contains(strings.ToLower(e.Reason()), strings.ToLower(f.Reason)) {
		return false
	}
	if t := e.Time(); (!f.Since.IsZero() && t.Before(f.Since)) || (!f.Until.IsZero() && t.After(f.Until)) {
		return false
	}
	return len(f.IDs) == 0 || slices.Contains(f.IDs, e.ID())
}

// ParseTime reads a time bound: RFC 3339, or a duration such as "1h" meaning that long
// before now.
func ParseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2006-01-02T15:04:05Z) or a duration before now (90m, 2h)", s)
	}
	return now.Add(-d), nil
}
