// Package throughput holds the benchmarks that measure what millrace costs on top of
// Watermill. It has no code of its own: run
//
//	go test ./internal/throughput -run '^$' -bench . -benchtime 3000x
//
// BenchmarkStack sends the same messages through each transport three ways in one run:
// through bare Watermill (the transport's own publisher and subscriber, a plain
// message.Router, a handler that only decodes and counts); through bare Watermill with
// messages that carry, set by hand, the metadata millrace's events carry (the CloudEvents
// attributes and the correlation id); and through millrace (the routed bus, typed events,
// and the full middleware chain of correlation, poison, retry, attempts, recoverer and
// timeout). Each of seven rounds runs every path once on b.N messages, starting with a
// different path each round. It reports the median rate of each path in msgs/s, and, as
// the median over rounds of the ratio within a round, the ratio of millrace to bare
// Watermill, the ratio of millrace to bare Watermill with the same metadata (what
// millrace's code costs), and the ratio of bare Watermill with the metadata to bare
// Watermill without (ratio-metadata-only: what the broker pays for carrying the
// metadata, whoever sets it). On the in-memory transport it also measures bare
// Watermill on its own in-memory Pub/Sub, GoChannel, which is what a bare Watermill
// service runs without a broker, and reports millrace's rate against it
// (ratio-vs-gochannel).
//
// On the in-memory transport millrace's path saves a copy that bare Watermill's cannot:
// the event bus releases each message it publishes (metadata.Release), so the broker
// delivers that message itself instead of a copy of it. Bare Watermill's publisher
// cannot know that its caller is done with a message, so it gets a copy.
//
// On the in-memory transport a message costs a few microseconds, so rounds of 3,000
// messages are short enough for the scheduler and the garbage collector to swing the
// ratio by a tenth; -benchtime 100000x gives steadier figures there.
//
// BenchmarkAMQPPublish compares publishing to RabbitMQ with Watermill's default publisher
// (a channel opened per publish, no confirms) against millrace's (publisher confirms over a
// pool of channels).
package throughput
