// Package scaffold writes the files of a new millrace service or handler into a
// checkout of the module, in the project's own layout:
//
//	millrace new service orders
//	  internal/ordersapp/{doc,service,handlers,wire}.go  the service assembly, its handler list and ProviderSet
//	  cmd/orders/{main,main_test,wire}.go                a thin main, its test and the wire injector
//
//	millrace new handler ship-order --event orders.OrderPlaced --topic orders.placed --like mail.sent
//	  internal/orders/{doc,events}.go                    the typed event (package created or extended)
//	  handlers/ship_order.go, handlers/ship_order_test.go
//	  config/*.yaml                                      the topic (when new) and the handler entry
//	  internal/ordersapp/handlers.go                     the handler added to the service's list
//
// The service's assembly and its events live in two packages, as internal/chatapp and
// internal/chat do: the handlers import the events and the assembly imports the
// handlers.
//
// Everything is planned before anything is written: a Plan lists the files to create
// and the edits, and Apply refuses to overwrite a file that exists. Generated Go is
// rendered from embedded text/template files and formatted with go/format.
//
// Topology profiles are edited in place, keeping their comments, order and alignment:
// the new entry is inserted as text after the last entry of the section, in the style
// of the entries already there (flow or block), and the result is checked twice (it
// decodes to the old document plus exactly the new entry, and the topology still
// loads). When a profile cannot be edited that way (a flow-style section, an empty
// one), the entry is reported in Plan.Manual for the user to paste instead.
package scaffold
