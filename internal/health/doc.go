// Package health answers the liveness and readiness probes of a millrace service:
// /healthz while the process serves HTTP, /readyz from every registered check (a
// transport, a database, any func(context.Context) error), run concurrently and bounded
// by Config.Timeout. After Drain, /readyz reports "draining" so traffic moves away
// before a graceful shutdown.
package health
