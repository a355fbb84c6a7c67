package memory

import (
	"fmt"

	"github.com/millrace/millrace/topology"
)

// Name is the kind of the in-memory transport in a topology file.
const Name topology.Kind = "gochannel"

// Settings are the settings of an in-memory transport.
type Settings struct {
	// Buffer is accepted for compatibility with Watermill's GoChannel and has no effect:
	// the in-memory broker hands each consumer one message at a time (default 256).
	Buffer int64
}

// String prints the settings, for `millrace topology explain`.
func (s *Settings) String() string { return fmt.Sprintf("buffer=%d", s.Buffer) }

var spec = topology.KindSpec{
	Keys: []string{"buffer"},
	Decode: func(ts *topology.Settings) any {
		s := &Settings{Buffer: 256}
		if v, ok := ts.Int("buffer", 0); ok {
			s.Buffer = v
		}
		return s
	},
}
