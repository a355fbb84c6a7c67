package users

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/idempotency"
)

// NewUpdateUserStats returns the handler of users.* that counts registered users
// (total_users) and verified ones (active_users). The counter and the processed-message
// record (of the users database) change in one transaction, so a redelivery never
// counts twice.
func NewUpdateUserStats(svc *account.Service, record *idempotency.Store) (*event.Handler, error) {
	count := func(ctx context.Context, stat string) error {
		id, err := idempotency.MessageID(ctx)
		if err != nil {
			return err
		}
		_, err = record.Once(ctx, UpdateUserStats, id, func(tx *sql.Tx) error {
			return svc.IncrementStat(ctx, tx, stat, 1)
		})
		return err
	}
	h, err := event.NewMultiHandler(UpdateUserStats,
		event.On(func(ctx context.Context, _ *account.Registered) error { return count(ctx, account.StatTotalUsers) }),
		event.On(func(ctx context.Context, _ *account.Verified) error { return count(ctx, account.StatActiveUsers) }),
	)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", UpdateUserStats, err)
	}
	return h, nil
}
