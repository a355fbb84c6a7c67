package chat

import (
	handlers "github.com/millrace/millrace/handlers/chat"
	"github.com/millrace/millrace/internal/router"
)

// Deps is what the chat's handlers need: add the ports of a new handler here. New
// fills it, since the rooms are the room service it builds.
type Deps struct {
	// Rooms delivers the chat events to this instance's WebSockets.
	Rooms handlers.ChatRooms
}

// Handlers returns the handlers of handlers/chat the chat runs. Each needs a handlers
// entry of the same name in the topology.
func Handlers(d Deps) ([]router.Handler, error) {
	fanout, err := handlers.NewChatFanout(d.Rooms)
	if err != nil {
		return nil, err
	}
	return []router.Handler{fanout}, nil
}
