// Package event carries typed events over Watermill messages, on Watermill's
// components/cqrs. An Event is a Go struct with a stable name and version; on the wire
// its payload is JSON and its metadata holds the CloudEvents 1.0 attributes (ce_id,
// ce_type "<name>.v<version>", ce_source, ce_time, ce_specversion) and the flow's
// correlation_id and causation_id. Publisher stamps them from the context; Handler
// decodes messages back into typed events and gives the handler a context from which
// what it publishes continues the flow.
package event
