package account_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/idempotency"
	"github.com/millrace/millrace/internal/outbox"
	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/internal/testenv"
)

// cheap keeps password hashing fast under the race detector.
var cheap = account.Argon2Params{Time: 1, Memory: 64, Threads: 1}

type backend struct {
	name string
	open func(t *testing.T) (dialect sqldb.Dialect, dsn string)
}

var backends = []backend{
	{"sqlite", func(t *testing.T) (sqldb.Dialect, string) {
		return sqldb.SQLite, filepath.Join(t.TempDir(), "users.db")
	}},
	{"postgres", func(t *testing.T) (sqldb.Dialect, string) {
		return sqldb.Postgres, testenv.PostgresSchema(t)
	}},
}

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func mustService(t *testing.T, b backend, c *clock) (*account.Service, *outbox.Outbox) {
	t.Helper()
	dialect, dsn := b.open(t)
	ctx := context.Background()
	store, err := account.Open(ctx, dialect, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ob, err := outbox.New(ctx, store.DB(), outbox.Config{Dialect: dialect, Source: "users"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := account.NewService(store, ob, account.Config{Argon2: cheap, Now: c.now, TokenTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return svc, ob
}

// outboxRows counts the rows of the outbox table.
func outboxRows(t *testing.T, db *sql.DB, ob *outbox.Outbox) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM "watermill_` + ob.Topic() + `"`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegisterAndVerify(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
			svc, ob := mustService(t, b, c)
			ctx := context.Background()
			db := svc.Store().DB()

			u, err := svc.Register(ctx, account.Registration{Email: " Ada@Example.com ", Name: "Ada", Password: "correct horse"})
			if err != nil {
				t.Fatal(err)
			}
			if u.Email != "ada@example.com" || u.Status != account.StatusPending {
				t.Errorf("registered %+v", u)
			}
			if n := outboxRows(t, db, ob); n != 1 {
				t.Errorf("outbox rows after register = %d, want 1", n)
			}

			_, err = svc.Register(ctx, account.Registration{Email: "ada@example.com", Name: "Other", Password: "0123456789"})
			if !errors.Is(err, account.ErrDuplicateEmail) {
				t.Errorf("duplicate: err = %v, want ErrDuplicateEmail", err)
			}
			var verr *account.ValidationError
			_, err = svc.Register(ctx, account.Registration{Email: "nope", Name: "", Password: "short"})
			if !errors.As(err, &verr) || len(verr.Fields) != 3 {
				t.Errorf("invalid: err = %v, want 3 field errors", err)
			}
			if n, _ := svc.Store().CountUsers(ctx); n != 1 {
				t.Errorf("users after rejected registrations = %d, want 1", n)
			}
			if n := outboxRows(t, db, ob); n != 1 {
				t.Errorf("outbox rows after rejected registrations = %d, want 1", n)
			}

			var token, expired string
			err = svc.Store().InTx(ctx, func(tx *sql.Tx) error {
				var err error
				flow := correlation.WithID(ctx, "flow-1")
				if expired, err = svc.IssueToken(flow, tx, u.ID); err != nil {
					return err
				}
				c.t = c.t.Add(2 * time.Hour)
				token, err = svc.IssueToken(flow, tx, u.ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(token) != 43 {
				t.Errorf("token %q: want 43 base64url characters (32 bytes)", token)
			}
			var stored int
			if err := db.QueryRow(`SELECT COUNT(*) FROM verification_tokens WHERE token_hash = '` + token + `'`).Scan(&stored); err != nil || stored != 0 {
				t.Errorf("raw token found in the database (%d rows, %v)", stored, err)
			}

			if _, err := svcVerify(svc, ctx, "unknown"); !errors.Is(err, account.ErrTokenUnknown) {
				t.Errorf("unknown token: err = %v", err)
			}
			if _, err := svcVerify(svc, ctx, expired); !errors.Is(err, account.ErrTokenExpired) {
				t.Errorf("expired token: err = %v", err)
			}
			if got, _ := svc.User(ctx, u.ID); got.Status != account.StatusPending {
				t.Errorf("status after failed verifications = %s", got.Status)
			}
			v, cid, err := svc.Verify(correlation.WithID(ctx, "click-2"), token)
			if err != nil {
				t.Fatal(err)
			}
			if cid != "flow-1" {
				t.Errorf("verify continued flow %q, want the token's flow-1", cid)
			}
			if v.Status != account.StatusActive || v.VerifiedAt == nil {
				t.Errorf("verified user %+v", v)
			}
			if n := outboxRows(t, db, ob); n != 2 {
				t.Errorf("outbox rows after verify = %d, want 2", n)
			}
			if _, err := svcVerify(svc, ctx, token); !errors.Is(err, account.ErrTokenUsed) {
				t.Errorf("used token: err = %v", err)
			}
			if n := outboxRows(t, db, ob); n != 2 {
				t.Errorf("outbox rows after reuse = %d, want 2", n)
			}
			if _, err := svc.User(ctx, "missing"); !errors.Is(err, account.ErrNotFound) {
				t.Errorf("missing user: err = %v", err)
			}
		})
	}
}

// TestStatsCountOncePerMessage checks that a counter changed in the transaction of the
// processed-message record counts each message once per handler.
func TestStatsCountOncePerMessage(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			svc, _ := mustService(t, b, &clock{t: time.Now()})
			ctx := context.Background()
			record, err := idempotency.New(ctx, svc.Store().DB(), idempotency.Config{Dialect: svc.Store().Dialect()})
			if err != nil {
				t.Fatal(err)
			}
			runs := 0
			fn := func(tx *sql.Tx) error { runs++; return svc.IncrementStat(ctx, tx, account.StatTotalUsers, 1) }
			failing := func(*sql.Tx) error { return errors.New("smtp down") }

			if ran, err := record.Once(ctx, "h", "m1", failing); err == nil || ran {
				t.Errorf("failing fn: ran %v err %v", ran, err)
			}
			for i := 0; i < 2; i++ {
				if _, err := record.Once(ctx, "h", "m1", fn); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := record.Once(ctx, "other", "m1", fn); err != nil {
				t.Fatal(err)
			}
			if runs != 2 {
				t.Errorf("runs = %d, want 2 (once for h after the failure, once for other)", runs)
			}
			st, err := svc.Stats(ctx)
			if err != nil || st.TotalUsers != 2 {
				t.Errorf("stats %+v %v, want total 2", st, err)
			}
		})
	}
}

var _ account.Outbox = (*outbox.Outbox)(nil)
var _ event.Event = account.Registered{}

// svcVerify calls Verify and drops the correlation id.
func svcVerify(svc *account.Service, ctx context.Context, token string) (account.User, error) {
	u, _, err := svc.Verify(ctx, token)
	return u, err
}
