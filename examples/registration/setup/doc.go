// Package setup holds what the registration example's users service and mailer share:
// their settings (environment and flags) and the providers of the users database, its
// processed-message record, the outbox and the users domain service.
package setup
