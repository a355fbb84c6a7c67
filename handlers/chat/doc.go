// Package chat holds the typed handler the chat service runs on every instance: the
// fan-out of room events to the members connected to it.
package chat
