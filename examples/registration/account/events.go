package account

import (
	"time"

	"github.com/millrace/millrace/internal/event"
)

// Registered is published when an account is created; its status is pending until the
// email address is verified.
type Registered struct {
	UserID       string    `json:"user_id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	RegisteredAt time.Time `json:"registered_at"`
}

// EventName is "users.registered".
func (Registered) EventName() string { return "users.registered" }

// EventVersion is 1.
func (Registered) EventVersion() int { return 1 }

// Verified is published once, when an account's email address is verified and the
// account becomes active.
type Verified struct {
	UserID     string    `json:"user_id"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	VerifiedAt time.Time `json:"verified_at"`
}

// EventName is "users.verified".
func (Verified) EventName() string { return "users.verified" }

// EventVersion is 1.
func (Verified) EventVersion() int { return 1 }

// TopicFunc returns the topic of an event: its name behind prefix. A prefix lets several
// deployments (or test runs) share brokers without sharing topics; "" keeps the names.
func TopicFunc(prefix string) func(event.Event) string {
	return func(ev event.Event) string { return prefix + ev.EventName() }
}

var (
	_ event.Event = Registered{}
	_ event.Event = Verified{}
)
