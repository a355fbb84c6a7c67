package room

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// Limits of what a client may send.
const (
	// MaxTextBytes is the longest message text accepted; a longer one is a bad frame.
	MaxTextBytes = 4 << 10
	// MaxFrameBytes is the largest frame read; a larger one closes the connection with
	// status 1009.
	MaxFrameBytes = 64 << 10
	// MaxRequestIDBytes is the longest request_id accepted.
	MaxRequestIDBytes = 128
	// MaxNameBytes is the longest room or member name.
	MaxNameBytes = 64
)

// Frame types.
const (
	TypeMessage    = "message"
	TypeResult     = "result"
	TypeUserJoined = "user_joined"
	TypeUserLeft   = "user_left"
	TypeHistory    = "history"
	TypeMembers    = "members"
)

// StatusRefused is the close status of a connection refused after the upgrade, for an
// invalid room or name; the close reason says why. Reconnecting with the same room and
// name is refused again.
const StatusRefused websocket.StatusCode = 4400

// maxCloseReasonBytes is the longest close reason a close frame carries.
const maxCloseReasonBytes = 123

// clientFrame is what a client sends.
type clientFrame struct {
	Type      string `json:"type"`
	RequestID string `json:"request_id"`
	Text      string `json:"text"`
}

// resultFrame answers a client frame.
type resultFrame struct {
	Type      string `json:"type"`
	RequestID string `json:"request_id"`
	OK        bool   `json:"ok"`
	Reason    string `json:"reason,omitempty"`
	MessageID string `json:"message_id,omitempty"`
}

// messageFrame carries a message to the members of its room.
type messageFrame struct {
	Type string `json:"type"`
	MessageSent
}

// joinedFrame and leftFrame carry presence.
type joinedFrame struct {
	Type string `json:"type"`
	UserJoined
}

type leftFrame struct {
	Type string `json:"type"`
	UserLeft
}

// membersFrame tells a member who else is in its room.
type membersFrame struct {
	Type    string   `json:"type"`
	Room    string   `json:"room"`
	Members []Member `json:"members"`
}

// historyFrame is the first frame a member receives: its own connection id and the
// room's recent messages, oldest first.
type historyFrame struct {
	Type         string        `json:"type"`
	Room         string        `json:"room"`
	ConnectionID string        `json:"connection_id"`
	Messages     []MessageSent `json:"messages"`
}

// ValidName reports why s is not a valid room or member name: 1 to MaxNameBytes
// characters, each an ASCII letter, a digit, '-', '_' or '.'.
func ValidName(s string) error {
	if s == "" {
		return errors.New("is empty")
	}
	if len(s) > MaxNameBytes {
		return fmt.Errorf("is longer than %d characters", MaxNameBytes)
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return errors.New("may only contain letters, digits, '-', '_' and '.'")
		}
	}
	return nil
}

// checkText reports why text cannot be sent, as a reason for the client.
func checkText(text string) string {
	switch {
	case strings.TrimSpace(text) == "":
		return "text is empty"
	case len(text) > MaxTextBytes:
		return fmt.Sprintf("text is longer than %d bytes", MaxTextBytes)
	case !utf8.ValidString(text):
		return "text is not valid UTF-8"
	}
	return ""
}

// closeReason cuts reason to what a close frame carries, at a character boundary.
func closeReason(reason string) string {
	if len(reason) <= maxCloseReasonBytes {
		return reason
	}
	cut := maxCloseReasonBytes
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut]
}
