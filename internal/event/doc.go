// Package event carries typed events over Watermill messages, on top of
// Watermill's components/cqrs.
//
// An event is a Go struct with a stable name and version (see Event). On the wire its
// payload is JSON and its message metadata holds the CloudEvents 1.0 attributes
//
//	ce_id              the message UUID
//	ce_type            "<name>.v<version>", e.g. "users.registered.v1"
//	ce_source          the publishing service
//	ce_time            RFC 3339 in UTC with nanoseconds
//	ce_specversion     "1.0"
//
// The payload of an event is always JSON, so ce_datacontenttype is left out: CloudEvents
// makes it optional, and AttributesOf reports "application/json" for a message without
// it. (Every metadata entry is carried by every broker with every message; on
// PostgreSQL, whose throughput follows the bytes of a row, this one cost 3%.)
//
// plus correlation_id (Watermill's key: one id per flow, kept at every hop; at the edge
// it is the one the context carries, from an X-Correlation-ID header say, or else the
// id of the flow's first message) and causation_id (the id of the message whose handling published this
// one; empty at the edge).
//
// Publisher publishes events and stamps these attributes from the context, and Handler
// decodes messages back into typed events. Inside a handler the context carries the
// handled message's correlation id and its id as causation, so an event published from
// it continues the flow.
package event
