// Package redisstream is the Redis Streams transport (kind redisstream), on
// watermill-redisstream.
//
// A topic is the stream <topic>. A shared group is the consumer group <group>, created
// at the start of the stream, so a new group first reads what is already there. A
// broadcast instance is the consumer group <group>.<instance>, created at "$", so it
// gets only entries added after it first subscribes and resumes there after a restart.
// Pending entries left idle by a consumer are claimed by another one of the group.
package redisstream
