// Package deliverylog records where the messages of a flow went and how their handlers
// ended, and reads a flow back as a causal tree: the data behind `millrace trace`.
//
// A topology turns it on with a top-level section naming a sql transport:
//
//	trace: {store: pg}
//
// The log is one table (DefaultTable, millrace_delivery_log) in that transport's
// database (PostgreSQL, MySQL/MariaDB or SQLite), created on first use. It holds three
// kinds of rows, all keyed by correlation id:
//
//	publish  one per message published through the bus: message id, correlation and
//	         causation ids, CloudEvents type, topic, transport, the handler that
//	         published it (when it was published while handling a message), time
//	outcome  one per delivery of a message to a handler: handler, result (ok,
//	         poisoned, nacked), attempts, the last error as reason, time
//	request  one per HTTP request (HTTPMiddleware): its id, which is the causation id
//	         of the messages it published, method, path, status, service, time
//
// A Log records publishes as a message.PublisherDecorator (bus.Options) and outcomes
// as a router.Instrument (router.Config):
//
//	dl, err := deliverylog.Open(ctx, deliverylog.Config{Topology: topo, Logger: logger})
//	defer dl.Close()
//	b, err := bus.Open(topo, bus.Options{PublisherDecorators: []message.PublisherDecorator{dl.DecoratePublisher}})
//	r, err := router.New(router.Config{..., Instruments: []router.Instrument{dl}})
//
// Recording never waits for the database: rows go to a bounded buffer (Config.Buffer)
// that a background writer drains in batches of up to Config.BatchSize rows, one
// multi-row INSERT per batch, at least every Config.FlushInterval. When the buffer is
// full a row is dropped and counted (Dropped) rather than slowing the handler or the
// publisher: the log is a diagnostic aid, and a slow or unreachable database must not
// stall message handling. A batch that fails to insert is logged and counted as
// dropped too. Close stops recording and writes every buffered row: close the log
// after the router and the bus, so the last outcomes and publishes are kept. The log
// keeps every row until Prune deletes the old ones.
//
// Tree reads the rows of one correlation id and links messages by causation id, each
// with its handler outcomes: a message under the request or the message whose id is
// its causation id, printed under the outcome of the handler that published it,
// everything in time order. WriteText prints a tree for people; Handler serves
// it as JSON at GET /trace/{correlation_id}. A service mounts the handler on its mux:
//
//	mux.Handle("/trace/", deliverylog.Handler(dl, logger))
package deliverylog
