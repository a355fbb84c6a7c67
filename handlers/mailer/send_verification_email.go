package mailer

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/idempotency"
)

// VerificationEmail is what send-verification-email needs.
type VerificationEmail struct {
	Users *account.Service
	// Record is the processed-message record of the users database.
	Record *idempotency.Store
	Sender mail.Sender
	Events Publisher
	// PublicURL is the base URL of the users API the link points to.
	PublicURL string
}

// NewSendVerificationEmail returns the handler that, for each users.registered, issues
// a one-time verification token and emails the link GET /users/verify?token=..., then
// publishes mail.sent.
//
// The token is committed before the email goes out, so the link works as soon as it
// can be clicked; the processed-message record is written in a transaction that commits
// only after the SMTP server accepted the email, so a failed send is retried (with a
// fresh token; the unsent one expires unused), and a record whose commit fails after
// the email was accepted is written again on its own (idempotency.Store.OnceExternal). A
// message already processed is skipped before a token is issued. The email's
// Message-ID is derived from the message id and the handler (emailMessageID), so a
// copy that is still sent twice is recognisable. mail.sent is published after the
// commit; if that publish fails the email is not sent again (the record exists), so
// the error is permanent and the message goes to the poison queue, which says why.
func NewSendVerificationEmail(d VerificationEmail) *event.Handler {
	base := strings.TrimSuffix(d.PublicURL, "/")
	return event.NewHandler(SendVerificationEmail, func(ctx context.Context, ev *account.Registered) error {
		id, err := idempotency.MessageID(ctx)
		if err != nil {
			return err
		}
		if done, err := d.Record.Processed(ctx, SendVerificationEmail, id); err != nil || done {
			return err
		}
		var token string
		err = d.Users.Store().InTx(ctx, func(tx *sql.Tx) error {
			token, err = d.Users.IssueToken(ctx, tx, ev.UserID)
			return err
		})
		if err != nil {
			return err
		}
		link := base + "/users/verify?token=" + url.QueryEscape(token)
		m := mail.Message{
			To:            ev.Email,
			Subject:       "Confirm your email address",
			Text:          fmt.Sprintf("Hello %s,\n\nplease confirm your email address by opening this link:\n\n%s\n\nThe link can be used once.\n", ev.Name, link),
			CorrelationID: correlation.ID(ctx),
			Link:          link,
			UserID:        ev.UserID,
			MessageID:     emailMessageID(SendVerificationEmail, id),
		}
		return emailer{d.Record, d.Sender, d.Events}.send(ctx, SendVerificationEmail, id, "verification", m)
	})
}
