// Package router runs a binary's handlers on the topics and policies its topology gives
// them, on Watermill's message.Router.
//
// Each handler gets one Watermill handler per concrete topic and unit of concurrency,
// all competing in the handler's consumer group, behind one middleware chain: correlation,
// delivery instruments, filter, poison, retry, attempt counting, attempt instruments,
// recoverer and timeout. A handler's filter (an event pattern of the topology) acks the
// messages it does not match without calling the handler or using an attempt. New
// declares every group's subscription before anything is published, so nothing is
// dropped for want of a consumer; Close lets messages in flight finish. Permanent marks
// an error that retrying cannot fix.
//
// A router also runs the topology's routes it is given (Config.Routes): each is a
// consumer of its own, with a handler's chain, that forwards the messages its filter
// matches to its destination topic.
package router
