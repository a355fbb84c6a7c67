// Package userapi is the HTTP edge of the users service:
//
//	POST /users                  register (JSON {"email","name","password"}) -> 201 + Location
//	GET  /users/verify?token=... verify an email address -> small HTML page
//	GET  /users/{id}             read a user
//	GET  /stats                  total_users and active_users
//	GET  /healthz                database reachability
//
// Errors are RFC 9457 problem documents (application/problem+json); a 400 lists each
// bad field. Every request passes through the correlation middleware, so the
// X-Correlation-ID of the response is the one the resulting events and emails carry.
package userapi
