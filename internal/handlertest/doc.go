// Package handlertest runs handlers in tests the way a service runs them: Start builds
// the topic-routed bus and the router, with its whole middleware chain, on the profile
// MILLRACE_TOPOLOGY names (in memory by default), and Logs captures what they log. A
// test whose profile needs a server that does not answer is skipped, or fails with
// CI=true.
package handlertest
