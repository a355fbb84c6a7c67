// Package room is the chat's domain: a hub of rooms whose members are WebSocket
// connections, the frames they exchange, the chat events, and the stores of each room's
// recent messages. A message is appended to the history and published; every instance,
// the sender's included, delivers it from the broadcast topic to its local members, so
// each member sees each message once, in broker order. The protocol, its limits and its
// close codes are in examples/chat/README.md.
package room
