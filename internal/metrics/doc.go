// Package metrics exposes the Prometheus metrics of a millrace service: Watermill's
// components/metrics plus millrace's own handler, poison, latency and outbox metrics,
// all on one registry per service, served by Handler on /metrics.
//
// A service wires it in three places:
//
//	m, err := metrics.New(metrics.Config{})
//	b, err := bus.Open(topo, bus.Options{PublisherDecorators: []message.PublisherDecorator{m.DecoratePublisher}})
//	r, err := router.New(router.Config{..., Instruments: []router.Instrument{m}})
//	mux.Handle("GET /metrics", m.Handler())
//
// and an outbox relay, in a fourth: it publishes through m.Outbox(name).DecoratePublisher
// and reports its backlog with SetBacklog or WatchBacklog.
//
// # millrace metrics
//
// Labels: handler is the topology handler name, topic the concrete topic consumed,
// outbox the name given to Metrics.Outbox.
//
//	millrace_handler_duration_seconds       histogram  handler, topic, outcome
//	    Time one attempt of a handler took. outcome: ok (handled), retry (failed, tried
//	    again after a backoff), poison (last attempt failed, message sent to the poison
//	    topic), nack (last attempt failed with no poison topic, or the router was
//	    stopping: the broker delivers it again).
//	millrace_handler_in_flight              gauge      handler, topic
//	    Deliveries being handled now, retries and backoff waits included.
//	millrace_handler_retries_total          counter    handler, topic
//	    Failed attempts the router retries.
//	millrace_handler_deliveries_total       counter    handler, topic, outcome
//	    Deliveries finished; outcome ok, poison or nack.
//	millrace_messages_poisoned_total        counter    handler, topic
//	    Messages published to the handler's poison topic; topic is the one they came
//	    from.
//	millrace_end_to_end_latency_seconds     histogram  handler, topic
//	    Time from the event's ce_time (set when it was published, or written to an
//	    outbox) to the end of its successful handling. Messages without a valid
//	    ce_time are not observed. Clock skew between services shows here.
//	millrace_outbox_backlog_messages        gauge      outbox
//	    Messages written to the outbox and not relayed yet, as last reported.
//	millrace_outbox_relay_lag_seconds       histogram  outbox
//	    Time from an event's ce_time to its relay from the outbox to the bus.
//	millrace_outbox_relayed_total           counter    outbox
//	    Messages relayed from the outbox to the bus.
//	millrace_outbox_relay_failures_total    counter    outbox
//	    Failed relay publishes (the relay tries the message again).
//
// # Watermill metrics (components/metrics, namespace "watermill")
//
//	watermill_handler_execution_time_seconds   histogram  handler_name, success
//	    Time a whole delivery took in the Watermill handler (all attempts and the
//	    poison queue); handler_name is the registration "handler/topic/n", success is
//	    false only when the message was nacked.
//	watermill_subscriber_messages_received_total  counter  handler_name, subscriber_name, acked
//	    Messages the router's subscribers received; acked is "acked" or "nacked".
//	watermill_publish_time_seconds             histogram  handler_name, publisher_name, success
//	    Time of each publish through the bus; publisher_name is the transport's
//	    publisher type (e.g. "amqp.Publisher"), handler_name "<no handler>" outside a
//	    router handler.
//
// The default registry also holds the Go runtime (go_*) and process (process_*)
// collectors.
package metrics
