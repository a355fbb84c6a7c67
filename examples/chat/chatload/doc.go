// Package chatload drives the chat with many WebSocket clients spread evenly over its
// instances and measures what it delivers (offered and accepted messages, deliveries,
// duplicates, losses, latency percentiles): the load generator behind cmd/chatload.
// FindRoomLimit grows one room until its p99 latency passes a limit. It only targets
// loopback addresses unless AllowRemote is set, and bounds clients and duration.
package chatload
