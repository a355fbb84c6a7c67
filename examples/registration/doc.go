// Package registration holds the end-to-end tests of the user-registration example; see
// README.md for the walk-through.
package registration
