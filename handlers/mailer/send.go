package mailer

import (
	"context"
	"fmt"
	"time"

	"github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/internal/idempotency"
	"github.com/millrace/millrace/internal/router"
)

// emailer is how an email handler sends: the processed-message record the send is
// recorded in, the sender, and where mail.sent goes.
type emailer struct {
	record *idempotency.Store
	sender mail.Sender
	events Publisher
}

// send sends m once for message id of handler (idempotency.Store.OnceExternal), then
// publishes mail.sent naming template. A message already processed sends and publishes
// nothing. A failed publish is permanent: the record exists, so a retry would not send
// the email again, and the poison queue says why.
func (e emailer) send(ctx context.Context, handler, id, template string, m mail.Message) error {
	sent, err := e.record.OnceExternal(ctx, handler, id, func(ctx context.Context) error {
		return e.sender.Send(ctx, m)
	})
	if err != nil || !sent {
		return err
	}
	if err := e.events.Publish(ctx, mail.Sent{To: m.To, Subject: m.Subject, Template: template, UserID: m.UserID, SentAt: time.Now().UTC()}); err != nil {
		return router.Permanent(fmt.Errorf("%s email sent, mail.sent not published: %w", template, err))
	}
	return nil
}

// emailMessageID is the Message-ID of the email handler sends for message id: the same
// for every attempt and redelivery, so mail clients and people can tell a repeated
// email from a new one.
func emailMessageID(handler, id string) string {
	return handler + "." + id + "@millrace"
}
