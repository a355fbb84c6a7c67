// Package router runs a binary's handlers on the topics and policies its topology gives
// them, on Watermill's message.Router.
//
// Each handler gets one Watermill handler per concrete topic and unit of concurrency,
// all competing in the handler's consumer group, behind one middleware chain: correlation,
// delivery instruments, poison, retry, attempt counting, attempt instruments, recoverer
// and timeout. New declares every group's subscription before anything is published, so
// nothing is dropped for want of a consumer; Close lets messages in flight finish.
// Permanent marks an error that retrying cannot fix.
package router
