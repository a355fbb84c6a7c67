// Package registration assembles the user-registration example's users service and
// mailer in one process (Build, for the demo and the end-to-end tests, which live
// here); packages users and mailer assemble each for its own binary, and setup holds
// the settings and the users database they share. See README.md for the walk-through.
package registration
