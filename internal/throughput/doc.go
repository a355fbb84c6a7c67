// Package throughput holds the benchmarks of what millrace costs on top of Watermill; it
// has no code of its own. BenchmarkStack runs the same messages through each transport
// with bare Watermill, with bare Watermill carrying millrace's metadata, and with the
// whole millrace stack; BenchmarkAMQPPublish compares Watermill's default RabbitMQ
// publisher with millrace's. The README says how to run them and read their output.
package throughput
