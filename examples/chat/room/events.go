package room

import "time"

// Default topics of the chat events.
const (
	DefaultMessagesTopic = "chat.messages"
	DefaultPresenceTopic = "chat.presence"
)

// MessageSent is published when a member sends a message to a room. ConnectionID is
// the sender's connection, which tells apart two members of one name (empty in messages
// of a history store that does not keep it).
type MessageSent struct {
	Room         string    `json:"room"`
	Name         string    `json:"name"`
	Text         string    `json:"text"`
	SentAt       time.Time `json:"sent_at"`
	MessageID    string    `json:"message_id"`
	ConnectionID string    `json:"connection_id,omitempty"`
}

// EventName implements event.Event.
func (MessageSent) EventName() string { return "chat.message_sent" }

// EventVersion implements event.Event.
func (MessageSent) EventVersion() int { return 1 }

// UserJoined is published when a connection joins a room. ConnectionID tells apart two
// connections of one name.
type UserJoined struct {
	Room         string    `json:"room"`
	Name         string    `json:"name"`
	ConnectionID string    `json:"connection_id"`
	JoinedAt     time.Time `json:"joined_at"`
}

// EventName implements event.Event.
func (UserJoined) EventName() string { return "chat.user_joined" }

// EventVersion implements event.Event.
func (UserJoined) EventVersion() int { return 1 }

// UserLeft is published when a connection leaves a room (closed by either side).
type UserLeft struct {
	Room         string    `json:"room"`
	Name         string    `json:"name"`
	ConnectionID string    `json:"connection_id"`
	LeftAt       time.Time `json:"left_at"`
}

// EventName implements event.Event.
func (UserLeft) EventName() string { return "chat.user_left" }

// EventVersion implements event.Event.
func (UserLeft) EventVersion() int { return 1 }

// Member is one connection in a room.
type Member struct {
	Name         string `json:"name"`
	ConnectionID string `json:"connection_id"`
}

// MembersPresent answers a UserJoined: an instance lists the members of the room
// connected to it for the joining connection To, which so learns who was there before
// it joined.
type MembersPresent struct {
	Room    string   `json:"room"`
	To      string   `json:"to"`
	Members []Member `json:"members"`
}

// EventName implements event.Event.
func (MembersPresent) EventName() string { return "chat.members_present" }

// EventVersion implements event.Event.
func (MembersPresent) EventVersion() int { return 1 }
