package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
)

// Logged returns a Sender that sends through s and logs each email s accepted at info
// level, with its Message-ID and user id but never its address. It gives every email
// without a MessageID a random one first, so that the log names the email sent.
func Logged(s Sender, logger *slog.Logger) Sender {
	return &logged{next: s, logger: logger}
}

type logged struct {
	next   Sender
	logger *slog.Logger
}

func (l *logged) Send(ctx context.Context, m Message) error {
	if m.MessageID == "" {
		m.MessageID = NewMessageID()
	}
	if err := l.next.Send(ctx, m); err != nil {
		return err
	}
	l.logger.InfoContext(ctx, "email sent", "message_id", m.MessageID, "user_id", m.UserID, "subject", m.Subject)
	return nil
}

// NewMessageID returns a random Message-ID (without angle brackets) in this host's
// name.
func NewMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost.localdomain"
	}
	return hex.EncodeToString(b) + "@" + host
}

var _ Sender = (*logged)(nil)
