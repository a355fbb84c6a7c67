package event

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"
)

// ErrUnknownType is the cause of a MessageError for a message whose type the handler
// does not handle.
var ErrUnknownType = errors.New("unknown event type")

// MessageError is returned for a message a handler can never handle: its type is
// unknown to the handler, or its payload does not decode. It is permanent: retrying
// the same message cannot succeed.
type MessageError struct {
	// Type is the event type the message claims.
	Type string
	Err  error
}

func (e *MessageError) Error() string {
	return fmt.Sprintf("event %q: %v", e.Type, e.Err)
}

// Unwrap returns the cause.
func (e *MessageError) Unwrap() error { return e.Err }

// Permanent reports true: the message will never be handled.
func (e *MessageError) Permanent() bool { return true }

// Case is one event type a Handler handles and the function that handles it; make one
// with On.
type Case struct {
	typ     string
	handler func(name string) cqrs.EventHandler
}

// On returns the Case of events of type T handled by fn.
func On[T Event](fn func(ctx context.Context, ev *T) error) Case {
	var zero T
	return Case{
		typ: Type(zero),
		handler: func(name string) cqrs.EventHandler {
			return cqrs.NewEventHandler(name, fn)
		},
	}
}

// Handler decodes event messages and calls the typed function registered for their
// type. Its name must match a handler entry in the topology; it is constant, since it
// names consumer groups and queues. A Handler is safe for concurrent use.
type Handler struct {
	name      string
	byType    map[string]cqrs.EventHandler
	marshaler Marshaler
}

// NewHandler returns a handler named name for events of type T.
func NewHandler[T Event](name string, fn func(ctx context.Context, ev *T) error) *Handler {
	c := On(fn)
	return &Handler{
		name:   name,
		byType: map[string]cqrs.EventHandler{c.typ: c.handler(name)},
	}
}

// NewMultiHandler returns a handler named name for several event types, for a handler
// subscribed to several topics (a "users.*" glob) or to a topic carrying several types.
// Each type may appear once.
func NewMultiHandler(name string, cases ...Case) (*Handler, error) {
	if len(cases) == 0 {
		return nil, fmt.Errorf("handler %s: no event types", name)
	}
	h := &Handler{name: name, byType: make(map[string]cqrs.EventHandler, len(cases))}
	for _, c := range cases {
		if c.handler == nil {
			return nil, fmt.Errorf("handler %s: empty case (use event.On)", name)
		}
		if _, dup := h.byType[c.typ]; dup {
			return nil, fmt.Errorf("handler %s: event type %s handled twice", name, c.typ)
		}
		h.byType[c.typ] = c.handler(name)
	}
	return h, nil
}

// Name returns the handler's name.
func (h *Handler) Name() string { return h.name }

// Types returns the event types the handler handles, sorted.
func (h *Handler) Types() []string {
	types := make([]string, 0, len(h.byType))
	for t := range h.byType {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// HandleMessage decodes msg and calls the function for its type with a context from
// ContextFor. A message of a type the handler does not know, or whose payload does not
// decode, returns a *MessageError. The error of the typed function is returned as is.
func (h *Handler) HandleMessage(msg *message.Message) error {
	typ := h.marshaler.NameFromMessage(msg)
	eh, ok := h.byType[typ]
	if !ok {
		return &MessageError{Type: typ, Err: ErrUnknownType}
	}
	ev := eh.NewEvent()
	if err := h.marshaler.Unmarshal(msg, ev); err != nil {
		return &MessageError{Type: typ, Err: err}
	}
	ctx := msg.Context()
	if cqrs.OriginalMessageFromCtx(ctx) != msg {
		// Not prepared by the router's correlation middleware (which calls ContextFor).
		ctx = ContextFor(msg)
		msg.SetContext(ctx)
	}
	return eh.Handle(ctx, ev)
}
