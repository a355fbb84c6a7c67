// Package scaffold writes a new service or handler into a checkout of the module, in
// the shape of the examples:
//
//	millrace new service orders
//	  examples/orders/{doc,app,handlers,wire}.go, README.md  the assembly, its handler list and ProviderSet
//	  handlers/orders/doc.go                                 the service's handler package
//	  cmd/orders/{main,main_test,wire}.go                    a thin main, its test and the wire injector
//
//	millrace new handler ship-order --service orders --event orders.OrderPlaced --topic orders.placed --like mail.sent
//	  examples/orders/orders/{doc,events}.go   the typed event, in the service's domain package
//	  handlers/orders/ship_order{,_test}.go    the handler and its test
//	  config/*.yaml                            the topic (when new) and the handler entry
//	  examples/orders/handlers.go              the handler added to the service's list
//
// The handler package is named like the service, so whoever imports it does so as
// "handlers" (HandlersAlias), as examples/chat imports handlers/chat.
//
// A Plan lists every file to create and edit before anything is written; Apply never
// overwrites a file. Profiles are edited in place, comments and alignment kept; an
// entry that cannot be inserted that way is reported in Plan.Manual for pasting.
package scaffold
