// Package observability assembles the metrics, tracing and health of a millrace
// service, so every binary exposes the same /metrics, /healthz and /readyz and traces
// the same way.
//
// By hand:
//
//	o, err := observability.New(ctx, observability.Config{Service: "mailer", Logger: logger})
//	defer o.Close(ctx)                                  // after router and bus
//	b, err := o.OpenBus(topo, bus.Options{Logger: logging.Watermill(logger)})
//	r, err := router.New(router.Config{..., Instruments: o.Instruments()})
//	mux := http.NewServeMux()
//	o.Register(mux)                                     // /metrics /healthz /readyz
//	o.Health.Add(health.DB("users", db))                // any other dependency
//	srv, err := server.Listen(server.HTTPConfig{Handler: o.HTTPMiddleware(mux), ...})
//
// With wire, ProviderSet replaces bus.ProviderSet: it needs a context.Context, a
// ServiceName and a *slog.Logger, and provides *Observability and the observed
// *bus.Bus.
package observability
