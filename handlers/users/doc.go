// Package users holds the typed handlers the users service runs. A handler knows no
// transport: it is an *event.Handler named after its topology entry, built from the
// ports it needs, and registered with the router by the service's assembly.
package users
