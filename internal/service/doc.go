// Package service is what every millrace binary does the same way: resolving its
// common settings (topology, HTTP address, log level, shutdown timeout) once, and
// running its parts until a signal, then stopping them in stages: readiness drains,
// the HTTP server stops, handlers finish, each step bounded by a timeout.
package service
