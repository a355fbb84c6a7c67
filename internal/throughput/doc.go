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
// timeout). The paths alternate for five rounds of b.N messages each; it reports the
// median rate of each in msgs/s, the ratio of millrace to bare Watermill, and the ratio
// of millrace to bare Watermill with the same metadata: the difference between the two
// ratios is what the broker pays for carrying the metadata, the second ratio is what
// millrace's code costs.
//
// BenchmarkAMQPPublish compares publishing to RabbitMQ with Watermill's default publisher
// (a channel opened per publish, no confirms) against millrace's (publisher confirms over a
// pool of channels).
package throughput
