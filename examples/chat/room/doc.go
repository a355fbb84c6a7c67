// Package chat is the online chat: a hub of rooms whose members are WebSocket
// connections, the frames they exchange, the chat events, and stores of each room's
// recent messages.
//
// # Flow of a message
//
// A client sends {"type":"message","request_id":"r1","text":"hi"}. The instance that
// holds its connection appends the message to the room's History, publishes a
// MessageSent event and answers {"type":"result","request_id":"r1","ok":true}. It does
// not show the message to anyone yet: every instance, the sender's included, receives
// the event back from the broker (the topic has broadcast delivery) and Deliver hands it
// to the members of the room connected to that instance. So each member on each instance
// sees each message once, in the order the broker gives, and the sender sees its own
// message exactly like everybody else.
//
// Presence works the same way with UserJoined and UserLeft events. A joining member
// also learns who was there before it: when an instance receives a UserJoined, it
// sends the joiner a members frame of its own local members if the joiner is connected
// to it, and otherwise publishes a MembersPresent event listing them, which the
// joiner's instance turns into a members frame. Members are told apart by connection
// id, so two members may share a name.
//
// # Connections
//
// An invalid room or name is refused after the upgrade: the connection is closed with
// StatusRefused (4400) and the reason, which a browser page can read and show.
//
// Each connection has a writer goroutine fed by a bounded queue. Delivery never waits
// for a client: a client whose queue is full is dropped (closed with status 1008), so a
// slow reader cannot hold up its room. A joining client first receives a history frame
// with the room's last HistoryLimit messages; messages delivered while the history is
// read are held back and sent after it, without those the history already contains.
//
// Bad frames (invalid JSON, an unknown type, empty text or text over MaxTextBytes) are
// answered with {"type":"result","ok":false,"reason":...} and the socket stays open.
// Abuse closes it: a frame over MaxFrameBytes with status 1009 (message too big), more
// than RateLimit frames per second sustained with status 1008 (policy violation).
package room
