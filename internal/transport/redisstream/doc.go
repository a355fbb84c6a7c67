// Package redisstream is the Redis Streams transport (kind redisstream), on
// watermill-redisstream. How a topic and a delivery mode map to streams and groups:
//
//   - stream: one stream per topic, named <topic>; XADD trims it to about MaxLen
//     entries (MAXLEN ~) when MaxLen is not 0.
//   - shared: consumer group <group>, created at the start of the stream ("0"), so a new
//     group first reads what is already there. Each subscriber is consumer
//     <instance>-<random> of the group.
//   - broadcast: consumer group <group>.<instance>, created at "$": an instance only gets
//     entries added after it first subscribes, and a restarted instance with the same
//     name resumes where it stopped. Groups of instances that are gone stay in Redis and
//     keep their pending entries; remove them with XGROUP DESTROY <topic>
//     <group>.<instance>.
//
// Pending entries idle for MinIdleTime are claimed by a consumer of the group, checked
// every ClaimInterval: those of a consumer that went away, and those sent to a consumer
// that never got them because its connection dropped. One XREADGROUP blocks for
// BlockTime. The transport has one Redis client, shared by its publishers and
// subscribers and closed by Close. Entries are as durable as the Redis server's
// persistence settings make them.
package redisstream
