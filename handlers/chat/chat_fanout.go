package chat

import (
	"context"

	"github.com/millrace/millrace/examples/chat/room"
	"github.com/millrace/millrace/internal/event"
)

// ChatFanout is the name of the handler that delivers the chat events an instance
// receives to the room members connected to it. Its topics have broadcast delivery, so
// every instance runs it on every event.
const ChatFanout = "chat-fanout"

// ChatRooms delivers chat events to the local members of a room without waiting for
// them; *chat.Service implements it.
type ChatRooms interface {
	DeliverMessage(ev *room.MessageSent) error
	DeliverJoined(ev *room.UserJoined) error
	DeliverLeft(ev *room.UserLeft) error
	DeliverPresent(ev *room.MembersPresent) error
}

// NewChatFanout returns the ChatFanout handler delivering to rooms.
func NewChatFanout(rooms ChatRooms) (*event.Handler, error) {
	return event.NewMultiHandler(ChatFanout,
		event.On(func(_ context.Context, ev *room.MessageSent) error { return rooms.DeliverMessage(ev) }),
		event.On(func(_ context.Context, ev *room.UserJoined) error { return rooms.DeliverJoined(ev) }),
		event.On(func(_ context.Context, ev *room.UserLeft) error { return rooms.DeliverLeft(ev) }),
		event.On(func(_ context.Context, ev *room.MembersPresent) error { return rooms.DeliverPresent(ev) }),
	)
}
