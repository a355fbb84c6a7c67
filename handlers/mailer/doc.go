// Package mailer holds the typed handlers the mailer runs: the registration emails.
// Each runs its email through the processed-message record, so a redelivered message
// sends nothing.
package mailer
