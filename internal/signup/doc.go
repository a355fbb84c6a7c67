// Package signup assembles the registration example's services from their parts: the
// users service (HTTP API, outbox relay and the update-user-stats handler) and the
// mailer (send-verification-email and send-welcome-email). Its providers are the wire
// provider sets of cmd/users and cmd/mailer; the demo command and the end-to-end tests
// assemble the same providers with Build.
package signup
