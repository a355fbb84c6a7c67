// Package builtin registers the transport kinds millrace ships with. Importing it, as
// the bus does, makes them available to transport.New; a new kind is one package under
// internal/transport and one line here.
package builtin

import (
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/internal/transport/amqp"
	"github.com/millrace/millrace/internal/transport/memory"
	"github.com/millrace/millrace/internal/transport/redisstream"
	"github.com/millrace/millrace/internal/transport/sql"
)

func init() {
	for _, k := range []transport.Kind{
		memory.Kind,
		amqp.Kind,
		redisstream.Kind,
		sql.Kind,
	} {
		transport.Register(k)
	}
}
