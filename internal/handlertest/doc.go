// Package handlertest runs handlers in tests the way a service runs them: on the
// topology of a profile, through the topic-routed bus and the router with its whole
// middleware chain (correlation, poison queue, retry, recovery, timeout).
//
//	logs := handlertest.NewLogs()
//	stack := handlertest.Start(t, handlers.NewShipOrder(handlers.ShipOrderDeps{Logger: logs.Logger()}))
//	err := stack.Events.Publish(ctx, orders.OrderPlaced{...})
//	rec := logs.Wait(t, 30*time.Second, func(r handlertest.Record) bool { return r.CorrelationID == id })
//
// The profile comes from MILLRACE_TOPOLOGY (default config.DefaultProfile, in
// memory), so the same test runs on a broker with MILLRACE_TOPOLOGY=redis. Start
// checks that the servers of the profile's transports answer, through testenv: the
// test is skipped on a developer's machine when one is down, and fails with CI=true.
package handlertest
