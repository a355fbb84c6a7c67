// Package amqp is the RabbitMQ transport (kind amqp), on watermill-amqp.
//
// A topic is a fanout exchange named <topic>. A shared group consumes the queue
// <topic>.<group>, durable unless the transport sets durable: false; a broadcast
// instance consumes its own queue <topic>.<group>.<instance>, non-durable and deleted
// with its last consumer. A queue gets only what is published after it is bound, so
// SubscribeInitialize binds it ahead of the first Subscribe. Marshaler carries ids and
// CloudEvents attributes in AMQP properties and the rest of the metadata in headers.
package amqp
