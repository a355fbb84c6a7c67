package router

import (
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/topology/pattern"
)

// filter acks, without calling the handler, every message that p does not match, and
// marks the delivery filtered for the instruments.
func filter(p *pattern.Pattern) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			ev := pattern.Event{Metadata: msg.Metadata, ID: msg.UUID, Data: msg.Payload}
			matched := p.Match(&ev)
			ev.Release()
			if matched {
				return h(msg)
			}
			if st, ok := msg.Context().Value(deliveryKey{}).(*delivery); ok {
				st.filtered = true
			}
			return nil, nil
		}
	}
}
