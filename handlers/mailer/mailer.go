package mailer

import (
	"context"

	"github.com/millrace/millrace/internal/event"
)

// Handler names of the mailer. They name consumer groups and queues: renaming one
// re-consumes its topics from the start.
const (
	SendVerificationEmail = "send-verification-email"
	SendWelcomeEmail      = "send-welcome-email"
)

// Publisher publishes events; *event.Publisher implements it.
type Publisher interface {
	Publish(ctx context.Context, ev event.Event) error
}

var _ Publisher = (*event.Publisher)(nil)
