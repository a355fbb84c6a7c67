package mailer

import (
	"context"
	"fmt"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/idempotency"
)

// WelcomeEmail is what send-welcome-email needs.
type WelcomeEmail struct {
	// Record is the processed-message record of the users database.
	Record *idempotency.Store
	Sender mail.Sender
	Events Publisher
}

// NewSendWelcomeEmail returns the handler that emails a welcome to each verified user,
// once per users.verified message, then publishes mail.sent (see
// NewSendVerificationEmail for the order of record, send and publish).
func NewSendWelcomeEmail(d WelcomeEmail) *event.Handler {
	return event.NewHandler(SendWelcomeEmail, func(ctx context.Context, ev *account.Verified) error {
		id, err := idempotency.MessageID(ctx)
		if err != nil {
			return err
		}
		m := mail.Message{
			To:            ev.Email,
			Subject:       "Welcome!",
			Text:          fmt.Sprintf("Hello %s,\n\nyour email address is confirmed and your account is active. Welcome!\n", ev.Name),
			CorrelationID: correlation.ID(ctx),
			UserID:        ev.UserID,
			MessageID:     emailMessageID(SendWelcomeEmail, id),
		}
		return emailer{d.Record, d.Sender, d.Events}.send(ctx, SendWelcomeEmail, id, "welcome", m)
	})
}
