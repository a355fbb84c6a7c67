// Package chatapp assembles the chat service of one instance: the chat.Service (page and
// WebSocket endpoint), the handlers.ChatFanout handler on a router, the HTTP server and
// the history store, all from a topology and a bus.
//
// cmd/chat builds an App with wire (ProviderSet); another binary that wants the chat in
// its own process calls New with its topology and bus, then Run.
package chatapp
