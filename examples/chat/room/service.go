package room

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/millrace/millrace/internal/event"
)

//go:embed static
var static embed.FS

// Publisher publishes chat events; *event.Publisher implements it.
type Publisher interface {
	Publish(ctx context.Context, ev event.Event) error
}

// Defaults of Config.
const (
	DefaultQueueSize    = 256
	DefaultRateLimit    = 20
	DefaultRateBurst    = 40
	DefaultWriteTimeout = 5 * time.Second
	// DefaultPublishTimeout bounds appending a message to the history and publishing it.
	DefaultPublishTimeout = 10 * time.Second
)

// Config configures a Service.
type Config struct {
	// Events publishes MessageSent, UserJoined and UserLeft. Required.
	Events Publisher
	// History stores each room's recent messages. Required.
	History History
	// Logger (default: discarded).
	Logger *slog.Logger
	// OriginPatterns are the origins allowed to open a WebSocket besides the page's own
	// (host patterns as in websocket.AcceptOptions, e.g. "chat.example.com"). Empty: only
	// pages served from the host the request names.
	OriginPatterns []string
	// QueueSize bounds the frames waiting for one client; a client whose queue is full
	// is dropped (default DefaultQueueSize).
	QueueSize int
	// RateLimit is the sustained frames per second one connection may send, RateBurst
	// how many it may send at once; more closes the connection with status 1008
	// (defaults DefaultRateLimit and DefaultRateBurst).
	RateLimit rate.Limit
	RateBurst int
	// WriteTimeout bounds writing one frame to a client (default DefaultWriteTimeout).
	WriteTimeout time.Duration
	// Now is the clock of sent_at and presence times (default time.Now).
	Now func() time.Time
	// NewID returns message and connection ids (default watermill.NewUUID).
	NewID func() string
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.RateLimit <= 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.RateBurst <= 0 {
		c.RateBurst = DefaultRateBurst
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.NewID == nil {
		c.NewID = watermill.NewUUID
	}
}

// Validate reports every problem of the config.
func (c Config) Validate() error {
	var errs []error
	if c.Events == nil {
		errs = append(errs, errors.New("missing Events"))
	}
	if c.History == nil {
		errs = append(errs, errors.New("missing History"))
	}
	return errors.Join(errs...)
}

// Service serves the chat page and WebSocket endpoint of one instance and delivers the
// chat events this instance receives to its local room members.
type Service struct {
	cfg Config
	hub *hub
	mux *http.ServeMux
}

// NewService returns a Service. Deliveries come from the caller: hand every MessageSent,
// UserJoined, UserLeft and MembersPresent received from the broker to DeliverMessage,
// DeliverJoined, DeliverLeft and DeliverPresent (handlers.NewChatFanout does).
func NewService(cfg Config) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	s := &Service{cfg: cfg, hub: newHub(), mux: http.NewServeMux()}
	page, err := fs.Sub(static, "static")
	if err != nil {
		return nil, fmt.Errorf("chat: static files: %w", err)
	}
	s.mux.Handle("GET /", http.FileServerFS(page))
	s.mux.HandleFunc("GET /ws", s.serveWS)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return s, nil
}

// ServeHTTP serves the page at /, the WebSocket at /ws?room=<room>&name=<name> and
// /healthz.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.URL.Path != "/ws" {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:")
	}
	s.mux.ServeHTTP(w, r)
}

// Run waits for ctx to be done, then closes every connection with status 1001 and waits
// for their handlers, which publish the members' UserLeft events, and for the member
// lists being published. It returns nil.
func (s *Service) Run(ctx context.Context) error {
	<-ctx.Done()
	s.hub.close()
	return nil
}

// Members returns how many members of room are connected to this instance.
func (s *Service) Members(room string) int { return s.hub.members(room) }

// DeliverMessage sends ev to the local members of its room, once per message id.
func (s *Service) DeliverMessage(ev *MessageSent) error {
	data, err := json.Marshal(messageFrame{Type: TypeMessage, MessageSent: *ev})
	if err != nil {
		return fmt.Errorf("encode message frame: %w", err)
	}
	s.hub.deliver(ev.Room, ev.MessageID, data)
	return nil
}

// DeliverJoined sends ev to the local members of its room, and lets the joining
// connection know who was there before it: a joiner connected to this instance gets a
// members frame of the other local members, one connected elsewhere gets them through a
// MembersPresent event published in the background.
func (s *Service) DeliverJoined(ev *UserJoined) error {
	data, err := json.Marshal(joinedFrame{Type: TypeUserJoined, UserJoined: *ev})
	if err != nil {
		return fmt.Errorf("encode user_joined frame: %w", err)
	}
	if !s.hub.deliver(ev.Room, joinedKey(ev.ConnectionID), data) {
		return nil // no local member, or a redelivery already answered
	}
	members, local := s.hub.others(ev.Room, ev.ConnectionID)
	if local {
		if err := s.hub.present(ev.Room, ev.ConnectionID, members); err != nil {
			return fmt.Errorf("encode members frame: %w", err)
		}
		return nil
	}
	if len(members) == 0 || !s.hub.track() {
		return nil
	}
	go func() {
		defer s.hub.conns.Done()
		logger := s.cfg.Logger.With("room", ev.Room, "to", ev.ConnectionID)
		s.publish(context.Background(), &MembersPresent{Room: ev.Room, To: ev.ConnectionID, Members: members}, logger)
	}()
	return nil
}

// DeliverLeft sends ev to the local members of its room.
func (s *Service) DeliverLeft(ev *UserLeft) error {
	data, err := json.Marshal(leftFrame{Type: TypeUserLeft, UserLeft: *ev})
	if err != nil {
		return fmt.Errorf("encode user_left frame: %w", err)
	}
	s.hub.deliver(ev.Room, leftKey(ev.ConnectionID), data)
	return nil
}

// DeliverPresent sends the members ev lists to its joining connection when that is
// connected to this instance, without the members that have left since.
func (s *Service) DeliverPresent(ev *MembersPresent) error {
	if err := s.hub.present(ev.Room, ev.To, ev.Members); err != nil {
		return fmt.Errorf("encode members frame: %w", err)
	}
	return nil
}

// serveWS upgrades the connection, then checks room and name: a refusal is a close
// frame with StatusRefused and the reason, which a browser page can read (the body of
// an HTTP error before the upgrade it cannot).
func (s *Service) serveWS(w http.ResponseWriter, r *http.Request) {
	roomName, name := r.URL.Query().Get("room"), r.URL.Query().Get("name")
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.cfg.OriginPatterns})
	if err != nil {
		s.cfg.Logger.InfoContext(r.Context(), "websocket refused", "error", err)
		return // Accept has answered.
	}
	conn.SetReadLimit(MaxFrameBytes)
	if reason := joinRefusal(roomName, name); reason != "" {
		s.cfg.Logger.InfoContext(r.Context(), "chat join refused", "reason", reason)
		_ = conn.Close(StatusRefused, closeReason(reason))
		return
	}

	c := newClient(s.cfg.NewID(), roomName, name, s.cfg.QueueSize)
	if !s.hub.join(c) {
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer s.hub.conns.Done()
	written := make(chan struct{})
	go func() {
		defer close(written)
		c.write(conn, s.cfg.WriteTimeout)
	}()
	// The request context ends when the handler returns; publishing must outlive a
	// closing client.
	ctx := context.WithoutCancel(r.Context())
	logger := s.cfg.Logger.With("room", roomName, "connection_id", c.id)

	s.sendHistory(ctx, c, logger)
	s.publish(ctx, &UserJoined{Room: roomName, Name: name, ConnectionID: c.id, JoinedAt: s.cfg.Now().UTC()}, logger)

	s.read(r.Context(), conn, c)

	s.hub.leave(c)
	c.close(websocket.StatusNormalClosure, "")
	s.publish(ctx, &UserLeft{Room: roomName, Name: name, ConnectionID: c.id, LeftAt: s.cfg.Now().UTC()}, logger)
	<-written
}

// sendHistory reads the room's recent messages and makes c ready.
func (s *Service) sendHistory(ctx context.Context, c *client, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, DefaultPublishTimeout)
	defer cancel()
	msgs, err := s.cfg.History.Recent(ctx, c.room, HistoryLimit)
	if err != nil {
		logger.WarnContext(ctx, "read chat history", "error", err)
		msgs = nil
	}
	if msgs == nil {
		msgs = []MessageSent{}
	}
	ids := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		ids[m.MessageID] = true
	}
	data, err := json.Marshal(historyFrame{Type: TypeHistory, Room: c.room, ConnectionID: c.id, Messages: msgs})
	if err != nil {
		logger.ErrorContext(ctx, "encode history frame", "error", err)
		data = []byte(`{"type":"history","messages":[]}`)
	}
	s.hub.ready(c, data, ids)
}

func (s *Service) publish(ctx context.Context, ev event.Event, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, DefaultPublishTimeout)
	defer cancel()
	if err := s.cfg.Events.Publish(ctx, ev); err != nil {
		logger.WarnContext(ctx, "publish chat event", "type", event.Type(ev), "error", err)
	}
}

// read handles the client's frames until the connection ends or abuses it.
func (s *Service) read(ctx context.Context, conn *websocket.Conn, c *client) {
	limiter := rate.NewLimiter(s.cfg.RateLimit, s.cfg.RateBurst)
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			// A frame over the read limit has closed the connection with 1009.
			return
		}
		if !limiter.Allow() {
			c.close(websocket.StatusPolicyViolation, "rate limit exceeded")
			return
		}
		res := s.handleFrame(ctx, c, typ, data)
		out, err := json.Marshal(res)
		if err != nil {
			c.close(websocket.StatusInternalError, "internal error")
			return
		}
		c.enqueue(out)
	}
}

// handleFrame handles one client frame and returns the answer.
func (s *Service) handleFrame(ctx context.Context, c *client, typ websocket.MessageType, data []byte) resultFrame {
	res := resultFrame{Type: TypeResult}
	if typ != websocket.MessageText {
		res.Reason = "binary frames are not supported"
		return res
	}
	var f clientFrame
	if err := json.Unmarshal(data, &f); err != nil {
		res.Reason = "invalid JSON"
		return res
	}
	if len(f.RequestID) > MaxRequestIDBytes {
		res.Reason = fmt.Sprintf("request_id is longer than %d bytes", MaxRequestIDBytes)
		return res
	}
	res.RequestID = f.RequestID
	switch f.Type {
	case TypeMessage:
	case "":
		res.Reason = "missing type"
		return res
	default:
		res.Reason = "unknown type"
		return res
	}
	if reason := checkText(f.Text); reason != "" {
		res.Reason = reason
		return res
	}
	msg := &MessageSent{Room: c.room, Name: c.name, Text: f.Text, SentAt: s.cfg.Now().UTC(), MessageID: s.cfg.NewID(), ConnectionID: c.id}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultPublishTimeout)
	defer cancel()
	if err := s.cfg.History.Append(pctx, msg); err != nil {
		s.cfg.Logger.WarnContext(ctx, "append to chat history", "room", c.room, "error", err)
		res.Reason = "message not stored, try again"
		return res
	}
	if err := s.cfg.Events.Publish(pctx, msg); err != nil {
		s.cfg.Logger.WarnContext(ctx, "publish chat message", "room", c.room, "error", err)
		res.Reason = "message not sent, try again"
		return res
	}
	res.OK, res.MessageID = true, msg.MessageID
	return res
}

// joinRefusal says why a connection may not join room as name, or "" when it may.
func joinRefusal(room, name string) string {
	var reasons []string
	if err := ValidName(room); err != nil {
		reasons = append(reasons, "room "+err.Error())
	}
	if err := ValidName(name); err != nil {
		reasons = append(reasons, "name "+err.Error())
	}
	return strings.Join(reasons, "; ")
}
