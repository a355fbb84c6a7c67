// Package throughput holds the benchmarks that measure what millrace costs on top of
// Watermill. It has no code of its own: run
//
//	go test ./internal/throughput -run '^$' -bench . -benchtime 2000x
//
// BenchmarkStack sends the same messages through each transport twice in one run: once
// through bare Watermill (the transport's own publisher and subscriber, a plain
// message.Router, a handler that only counts) and once through millrace (the routed bus,
// typed events, and the full middleware chain of correlation, poison, retry, attempts,
// recoverer and timeout). The two paths alternate for three rounds of b.N messages each;
// it reports the median rate of each in msgs/s and their ratio.
//
// BenchmarkAMQPPublish compares publishing to RabbitMQ with Watermill's default publisher
// (a channel opened per publish, no confirms) against millrace's (publisher confirms over a
// pool of channels).
package throughput
