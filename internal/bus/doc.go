// Package bus routes Watermill publishing and subscribing by topic across the transports
// of a topology. A Bus opens the transports, and its publisher sends each topic through
// the transport the topology resolves it to (an undeclared topic is an error). A
// subscriber belongs to one consumer group and consumes shared topics competitively and
// broadcast topics once per instance. Both are Watermill Pub/Subs that pass Watermill's
// universal test suite on every kind; Options.PublisherDecorators observe every publish.
package bus
