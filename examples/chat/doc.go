// Package chat assembles the chat service of one instance: the room service (page and
// WebSocket endpoint), the chat-fanout handler on a router, the HTTP server and the
// history store, from a topology and a bus. cmd/chat builds it with wire (ProviderSet).
package chat
