package handlers

import (
	"context"
	"errors"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"

	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/router"
)

// Handler names. They name consumer groups and queues: renaming one re-consumes its
// topics from the start.
const (
	SendVerificationEmail = "send-verification-email"
	SendWelcomeEmail      = "send-welcome-email"
	UpdateUserStats       = "update-user-stats"
)

// Publisher publishes events; *event.Bus implements it.
type Publisher interface {
	Publish(ctx context.Context, ev event.Event) error
}

// messageID returns the id of the message being handled, the key of idempotency.
func messageID(ctx context.Context) (string, error) {
	msg := cqrs.OriginalMessageFromCtx(ctx)
	if msg == nil || msg.UUID == "" {
		return "", router.Permanent(errors.New("no message in the handler context"))
	}
	return msg.UUID, nil
}

var _ Publisher = (*event.Bus)(nil)
