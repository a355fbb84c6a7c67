// Package chatload drives the online chat (package chat) with many WebSocket clients
// and measures what it delivers: the load generator behind cmd/chatload.
//
// # Scenario
//
// Run connects Rooms × Members clients. Each new member of a room connects to the target
// with the fewest members of that room, so every room is split evenly across all
// instances. Each client waits for its
// history frame before the load starts, so every member is in its room before the first
// message. Then every member sends: the total Rate is spread evenly over all members,
// each with a token bucket of its own (burst 1, a random start phase), for Duration.
//
// A message's text is "load <run> <phase> <sender> <seq> <sent>", where sent is the
// send time in nanoseconds on the process's monotonic clock; all clients live in one
// process and so share that clock, and the latency of a delivery is its receive time
// minus sent. A delivery is one message frame received by one member, the sender
// included. After Duration the senders stop and Run waits until every expected delivery
// arrived or Drain passed.
//
// # Figures
//
//   - offered: messages written per second of the load phase; accepted: answered ok
//   - expected deliveries: accepted messages × members of their room
//   - delivered: distinct deliveries received; duplicates: the same message received
//     again by the same member; lost: expected − delivered at the end of the drain
//   - latency: p50, p90, p99 and max over all deliveries
//   - connection errors: dials that failed and connections that ended before the run
//     closed them
//
// FindRoomLimit grows one room, split across the targets, step by step at a fixed total
// rate (50 messages/s by default) and stops at the first step whose p99 passes the
// limit (100 ms) or that loses messages; the room limit is the last size that stayed
// under.
//
// # Safety
//
// The load only goes where it is pointed, and only to loopback addresses unless
// AllowRemote is set. The number of clients and the duration are bounded (MaxClients,
// MaxDuration), and every phase ends by itself.
package chatload
