// Package correlation carries the correlation and causation ids of a unit of work
// through a context.Context, the HTTP edge and the logs.
//
// The correlation id names one flow through the system: it is set once at the edge
// (from the X-Correlation-ID request header, or new) and copied onto every message the
// flow produces, at any depth. The causation id is the id of the message whose handling
// caused the current work; at the edge it is the id of the HTTP request when a
// middleware gives requests one (the delivery log's does), or empty.
//
// Middleware puts both into the request context, and the slog handler returned by
// NewLogHandler adds them as correlation_id and causation_id to every record logged with
// that context.
package correlation
