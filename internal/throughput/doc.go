// Package throughput holds the benchmarks of what millrace costs on top of Watermill; it
// has no code of its own. BenchmarkStack runs the same messages through each transport
// with bare Watermill, with bare Watermill carrying millrace's metadata, and with the
// whole millrace stack; BenchmarkAMQPPublish compares Watermill's default RabbitMQ
// publisher with millrace's. BenchmarkRoute compares a plain handler with a filtered
// one and with a route forwarding each event to the topic the handler consumes, on the
// same transport and, where that is not memory, to the in-memory transport. The README
// says how to run them and read their output.
package throughput
