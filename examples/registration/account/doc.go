// Package users is the user registration domain of the example: accounts with a
// password hash and a pending/active status, one-time email verification tokens, the
// users.registered and users.verified events, and the statistics the stats handler
// keeps.
//
// Every state change and the event it causes are written in one database transaction:
// the event goes to the transactional outbox (package outbox), so a user row never
// exists without its event and an event never announces a user that was rolled back.
// The store works on PostgreSQL and on SQLite (pure-Go driver, for running without
// servers). Verification tokens are 32 random bytes; only their SHA-256 is stored.
package account
