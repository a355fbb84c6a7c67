package account

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/sqldb"
)

// DefaultTokenTTL is how long a verification token is valid.
const DefaultTokenTTL = 24 * time.Hour

// Statistics names kept in user_stats.
const (
	StatTotalUsers  = "total_users"
	StatActiveUsers = "active_users"
)

// Outbox writes events inside a database transaction; *outbox.Outbox implements it.
type Outbox interface {
	Publish(ctx context.Context, tx *sql.Tx, evs ...event.Event) error
}

// Config configures a Service.
type Config struct {
	// TokenTTL is how long a verification token is valid (default DefaultTokenTTL).
	TokenTTL time.Duration
	// Argon2 are the password hash costs (default DefaultArgon2).
	Argon2 Argon2Params
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service registers and verifies users.
type Service struct {
	store  *Store
	outbox Outbox
	cfg    Config
}

// NewService returns a service storing in store and publishing through outbox, which
// must write to the same database.
func NewService(store *Store, outbox Outbox, cfg Config) (*Service, error) {
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("users service: nil store"))
	}
	if outbox == nil {
		errs = append(errs, errors.New("users service: nil outbox"))
	}
	if cfg.TokenTTL < 0 {
		errs = append(errs, fmt.Errorf("users service: negative token ttl %s", cfg.TokenTTL))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Argon2 == (Argon2Params{}) {
		cfg.Argon2 = DefaultArgon2
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: store, outbox: outbox, cfg: cfg}, nil
}

// Store returns the service's store.
func (s *Service) Store() *Store { return s.store }

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Register validates r, stores a pending user and writes Registered to the outbox in
// the same transaction. It returns a *ValidationError for invalid fields and
// ErrDuplicateEmail when the address is taken; nothing is written then.
func (s *Service) Register(ctx context.Context, r Registration) (User, error) {
	r = r.Normalize()
	if err := r.Validate(); err != nil {
		return User{}, err
	}
	hash, err := hashPassword(r.Password, s.cfg.Argon2)
	if err != nil {
		return User{}, fmt.Errorf("register: %w", err)
	}
	u := User{ID: watermill.NewUUID(), Email: r.Email, Name: r.Name, Status: StatusPending, CreatedAt: s.now()}
	err = s.store.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.store.q(`INSERT INTO users (id, email, name, password_hash, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING`),
			u.ID, u.Email, u.Name, hash, string(u.Status), u.CreatedAt.UnixMicro())
		if err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("insert user: %w", err)
		} else if n == 0 {
			return ErrDuplicateEmail
		}
		return s.outbox.Publish(ctx, tx, Registered{UserID: u.ID, Email: u.Email, Name: u.Name, RegisteredAt: u.CreatedAt})
	})
	if err != nil {
		return User{}, fmt.Errorf("register: %w", err)
	}
	return u, nil
}

// User returns the user id, or ErrNotFound.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	return s.user(ctx, s.store.db, id)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Service) user(ctx context.Context, q querier, id string) (User, error) {
	var (
		u        User
		status   string
		created  int64
		verified sql.NullInt64
	)
	err := q.QueryRowContext(ctx, s.store.q(`SELECT id, email, name, status, created_at, verified_at FROM users WHERE id = ?`), id).
		Scan(&u.ID, &u.Email, &u.Name, &status, &created, &verified)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("read user %s: %w", id, err)
	}
	u.Status = Status(status)
	u.CreatedAt = time.UnixMicro(created).UTC()
	if verified.Valid {
		t := time.UnixMicro(verified.Int64).UTC()
		u.VerifiedAt = &t
	}
	return u, nil
}

// IssueToken creates a verification token for user inside tx and returns it; only its
// hash is stored. It expires after the configured TTL and can be used once. The
// correlation id of ctx is stored with it, so the verification continues the sign-up
// flow (see Verify).
func (s *Service) IssueToken(ctx context.Context, tx *sql.Tx, userID string) (string, error) {
	token, hash, err := newToken()
	if err != nil {
		return "", err
	}
	now := s.now()
	_, err = tx.ExecContext(ctx, s.store.q(`INSERT INTO verification_tokens (token_hash, user_id, created_at, expires_at, correlation_id)
		VALUES (?, ?, ?, ?, ?)`), hash, userID, now.UnixMicro(), now.Add(s.cfg.TokenTTL).UnixMicro(), correlation.ID(ctx))
	if err != nil {
		return "", fmt.Errorf("issue token for %s: %w", userID, err)
	}
	return token, nil
}

// Verify uses token: the user becomes active and Verified is written to the outbox in
// the same transaction. Verified carries the correlation id stored with the token (the
// sign-up's), else the one of ctx; Verify returns the id it used. An unknown token is ErrTokenUnknown, an expired or used one
// ErrTokenExpired or ErrTokenUsed; nothing changes then. A user verified before (with
// another token) stays as is and no second event is written.
func (s *Service) Verify(ctx context.Context, token string) (User, string, error) {
	var (
		u   User
		cid = correlation.ID(ctx)
	)
	err := s.store.InTx(ctx, func(tx *sql.Tx) error {
		lock := ""
		if s.store.dialect == sqldb.Postgres {
			lock = " FOR UPDATE"
		}
		var (
			userID  string
			expires int64
			used    sql.NullInt64
			flow    string
		)
		err := tx.QueryRowContext(ctx, s.store.q(`SELECT user_id, expires_at, used_at, correlation_id FROM verification_tokens WHERE token_hash = ?`+lock),
			hashToken(token)).Scan(&userID, &expires, &used, &flow)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrTokenUnknown
		}
		if err != nil {
			return fmt.Errorf("read token: %w", err)
		}
		now := s.now()
		switch {
		case used.Valid:
			return ErrTokenUsed
		case now.UnixMicro() >= expires:
			return ErrTokenExpired
		}
		if _, err := tx.ExecContext(ctx, s.store.q(`UPDATE verification_tokens SET used_at = ? WHERE token_hash = ?`),
			now.UnixMicro(), hashToken(token)); err != nil {
			return fmt.Errorf("use token: %w", err)
		}
		res, err := tx.ExecContext(ctx, s.store.q(`UPDATE users SET status = ?, verified_at = ? WHERE id = ? AND status = ?`),
			string(StatusActive), now.UnixMicro(), userID, string(StatusPending))
		if err != nil {
			return fmt.Errorf("activate user: %w", err)
		}
		activated, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("activate user: %w", err)
		}
		if u, err = s.user(ctx, tx, userID); err != nil {
			return err
		}
		if activated == 0 {
			return nil
		}
		if flow != "" {
			cid = flow
		}
		return s.outbox.Publish(correlation.WithID(ctx, cid), tx, Verified{UserID: u.ID, Email: u.Email, Name: u.Name, VerifiedAt: now})
	})
	if err != nil {
		return User{}, "", fmt.Errorf("verify: %w", err)
	}
	return u, cid, nil
}

// Stats are the counters the stats handler keeps.
type Stats struct {
	TotalUsers  int64 `json:"total_users"`
	ActiveUsers int64 `json:"active_users"`
}

// Stats returns the counters.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	rows, err := s.store.db.QueryContext(ctx, `SELECT name, value FROM user_stats`)
	if err != nil {
		return Stats{}, fmt.Errorf("read stats: %w", err)
	}
	defer rows.Close()
	var st Stats
	for rows.Next() {
		var (
			name  string
			value int64
		)
		if err := rows.Scan(&name, &value); err != nil {
			return Stats{}, fmt.Errorf("read stats: %w", err)
		}
		switch name {
		case StatTotalUsers:
			st.TotalUsers = value
		case StatActiveUsers:
			st.ActiveUsers = value
		}
	}
	if err := rows.Err(); err != nil {
		return Stats{}, fmt.Errorf("read stats: %w", err)
	}
	return st, nil
}

// IncrementStat adds delta to the counter name inside tx.
func (s *Service) IncrementStat(ctx context.Context, tx *sql.Tx, name string, delta int64) error {
	_, err := tx.ExecContext(ctx, s.store.q(`INSERT INTO user_stats (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = user_stats.value + excluded.value`), name, delta)
	if err != nil {
		return fmt.Errorf("increment %s: %w", name, err)
	}
	return nil
}

// Unavailable reports whether err means the database could not be reached or dropped
// the connection (refused, reset, shutting down or starting up), which passes once it
// is back, rather than a problem of the request or the data.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var (
		netErr  net.Error
		state   interface{ SQLState() string }
		connErr *pgconn.ConnectError
	)
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case errors.As(err, &connErr), errors.As(err, &netErr):
		return true
	case errors.As(err, &state):
		// Class 08 is connection exception; 57P01-57P03 are admin_shutdown,
		// crash_shutdown and cannot_connect_now (shutting down, starting up).
		code := state.SQLState()
		return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03"
	}
	return false
}
