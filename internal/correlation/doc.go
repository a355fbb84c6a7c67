// Package correlation carries the ids of a flow through a context.Context, the HTTP edge
// and the logs. The correlation id names one flow: Middleware takes it from the
// X-Correlation-ID request header, or makes one, and every message of the flow carries
// it. The causation id is the id of the message, or request, that caused the current
// work. LogHandler adds both to every slog record logged with that context.
package correlation
