// Package amqp is the RabbitMQ transport (kind amqp), on watermill-amqp. How a topic
// and a delivery mode map to exchanges and queues:
//
//   - exchange: one fanout exchange per topic, named <topic>, durable when Durable is
//     set. Publishing to a topic declares its exchange; messages are persistent
//     (delivery mode 2) when Durable is set.
//   - shared: one queue per topic and group, named <topic>.<group>, bound to the
//     exchange, durable when Durable is set. All instances of the group consume it.
//   - broadcast: one queue per topic, group and instance, named
//     <topic>.<group>.<instance>, non-durable and auto-delete: RabbitMQ removes it when
//     its last consumer goes away. It is not exclusive, so several subscribers of one
//     instance can share it. A queue declared by SubscribeInitialize but never consumed
//     is not auto-deleted.
//
// A queue receives only what is published after it is bound: SubscribeInitialize binds
// it ahead of the first Subscribe. Publishers use publisher confirms when Confirms is set
// and a pool of ChannelPool channels; consumers use QoS prefetch Prefetch. Publisher and
// subscriber each own one connection and reconnect with exponential backoff from
// ReconnectInitial up to ReconnectMax. The message id, ce_type, ce_source,
// ce_datacontenttype (when set) and correlation id travel in AMQP properties
// (message_id, type, app_id, content_type, correlation_id), the rest of the metadata in
// headers (Marshaler). The publisher replaces Watermill's publisher, connection and channel
// pool, when the pool loses a channel during an outage (healingPublisher).
package amqp
