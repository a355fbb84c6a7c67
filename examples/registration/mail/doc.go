// Package mail sends the example's emails: over SMTP (SMTP, built on
// github.com/wneessen/go-mail) or, for development, into a folder of .eml files
// (Sink). Every email carries the correlation id of the flow that caused it in an
// X-Correlation-ID header. The mail.sent event reports a sent email.
package mail
