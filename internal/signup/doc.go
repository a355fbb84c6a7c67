// Package signup assembles the registration example's services from their parts: the
// users service (HTTP API, outbox relay and the update-user-stats handler) and the
// mailer (send-verification-email and send-welcome-email). Its providers are the wire
// provider sets of cmd/users and cmd/mailer; the demo command and the end-to-end tests
// assemble the same providers with Build.
//
// Every service is observed (internal/observability): its routers are instrumented,
// its HTTP server serves /metrics, /healthz and /readyz (every transport and the users
// database), the outbox write path is traced and the relay's publishes and backlog
// are measured. Users.Run and Mailer.Run shut down in steps: /readyz reports draining,
// then the users HTTP server stops before its relay and router, while the mailer's
// router finishes its messages (internal/drain keeps them alive) before its HTTP
// server stops; Settings.ShutdownTimeout bounds each step.
package signup
