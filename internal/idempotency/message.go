package idempotency

import (
	"context"
	"errors"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"

	"github.com/millrace/millrace/internal/router"
)

// MessageID returns the id of the message being handled in ctx: with the handler's
// name, the key of its processed-message record. It is a permanent error when ctx
// carries no message, which only a handler called outside the router meets.
func MessageID(ctx context.Context) (string, error) {
	msg := cqrs.OriginalMessageFromCtx(ctx)
	if msg == nil || msg.UUID == "" {
		return "", router.Permanent(errors.New("no message in the handler context"))
	}
	return msg.UUID, nil
}
