package router

import (
	"fmt"
	"maps"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/topology"
)

// AllRoutes returns the names of every route of topo, for Config.Routes.
func AllRoutes(topo *topology.Topology) []string {
	names := make([]string, len(topo.Routes))
	for i, r := range topo.Routes {
		names[i] = r.Name
	}
	return names
}

// forwardedNamespace is the UUID namespace of forwarded message ids.
var forwardedNamespace = uuid.MustParse("4f0e6b8e-3c55-4d51-9a0e-5b7d2f6c1a90")

// ForwardedID returns the message id a route gives its copy of the message msgID: the
// same for every forwarding of one message by one route, so a message forwarded again
// after a redelivery is a duplicate that the processed-message record recognises.
func ForwardedID(route, msgID string) string {
	return uuid.NewSHA1(forwardedNamespace, []byte(route+"\x00"+msgID)).String()
}

// forwarder is the handler of a route: it publishes a copy of each message it gets to
// the route's destination topic.
type forwarder struct {
	route *topology.Route
	pub   message.Publisher
}

func (f *forwarder) Name() string { return f.route.Name }

// HandleMessage publishes the copy: the payload and metadata (the event id, type,
// source, correlation id and trace context) are kept, the message id is ForwardedID, and
// the causation id is the id of the message forwarded.
func (f *forwarder) HandleMessage(msg *message.Message) error {
	out := message.NewMessage(ForwardedID(f.route.Name, msg.UUID), msg.Payload)
	maps.Copy(out.Metadata, msg.Metadata)
	// The event keeps its CloudEvents id even though the message id changes.
	if _, ok := out.Metadata[metadata.KeyID]; !ok && msg.Metadata.Get(metadata.KeySpecVersion) != "" {
		out.Metadata.Set(metadata.KeyID, msg.UUID)
	}
	for _, k := range []string{AttemptsKey, PoisonedAtKey, middleware.PoisonedTopicKey, middleware.PoisonedHandlerKey,
		middleware.PoisonedSubscriberKey, middleware.ReasonForPoisonedKey} {
		delete(out.Metadata, k)
	}
	out.Metadata.Set(metadata.KeyCausationID, msg.UUID)
	out.SetContext(msg.Context())
	metadata.Release(out)
	if err := f.pub.Publish(f.route.To, out); err != nil {
		return fmt.Errorf("route %s: forward to %s: %w", f.route.Name, f.route.To, err)
	}
	return nil
}
