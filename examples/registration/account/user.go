package account

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is the state of an account.
type Status string

// Account states.
const (
	StatusPending Status = "pending"
	StatusActive  Status = "active"
)

// Limits of the registration fields.
const (
	MaxNameLength     = 100
	MinPasswordLength = 10
	// MaxPasswordLength bounds the work of hashing a password.
	MaxPasswordLength = 1024
	MaxEmailLength    = 254
)

// User is an account as the API shows it; the password hash never leaves the store.
type User struct {
	ID         string     `json:"id"`
	Email      string     `json:"email"`
	Name       string     `json:"name"`
	Status     Status     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
}

// Registration is what a new user submits.
type Registration struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// Errors the service returns; the HTTP edge maps them to statuses.
var (
	ErrDuplicateEmail = errors.New("email already registered")
	ErrNotFound       = errors.New("user not found")
	ErrTokenUnknown   = errors.New("unknown verification token")
	ErrTokenExpired   = errors.New("verification token expired")
	ErrTokenUsed      = errors.New("verification token already used")
)

// FieldError is one invalid field of a request.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError lists every invalid field of a registration.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "invalid registration: " + strings.Join(parts, "; ")
}

// Normalize returns r with the email trimmed and lowercased and the name trimmed.
func (r Registration) Normalize() Registration {
	r.Email = strings.ToLower(strings.TrimSpace(r.Email))
	r.Name = strings.TrimSpace(r.Name)
	return r
}

// Validate reports every invalid field of r (normalize it first) as a *ValidationError.
func (r Registration) Validate() error {
	var fields []FieldError
	add := func(field, format string, args ...any) {
		fields = append(fields, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	switch {
	case r.Email == "":
		add("email", "is required")
	case len(r.Email) > MaxEmailLength:
		add("email", "must be at most %d characters", MaxEmailLength)
	case !validEmail(r.Email):
		add("email", "is not a valid email address")
	}
	switch n := utf8.RuneCountInString(r.Name); {
	case !utf8.ValidString(r.Name):
		add("name", "must be valid UTF-8")
	case n == 0:
		add("name", "is required")
	case n > MaxNameLength:
		add("name", "must be at most %d characters", MaxNameLength)
	}
	switch n := utf8.RuneCountInString(strings.TrimSpace(r.Password)); {
	case r.Password == "":
		add("password", "is required")
	case n < MinPasswordLength:
		add("password", "must be at least %d characters, not counting spaces at either end", MinPasswordLength)
	case len(r.Password) > MaxPasswordLength:
		add("password", "must be at most %d bytes", MaxPasswordLength)
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// validEmail accepts a bare addr-spec with a dotted domain: "a@example.com", not
// "Name <a@example.com>" or "a@localhost".
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") &&
		!strings.HasSuffix(domain, ".") && !strings.ContainsAny(s, " \t\r\n<>")
}
