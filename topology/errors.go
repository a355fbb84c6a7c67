package topology

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrUndeclaredTopic is returned (wrapped) by Topology.Resolve for a topic that no topic
// entry or pattern of the file covers.
var ErrUndeclaredTopic = errors.New("topic not declared in topology")

// Error is one problem in a topology file, at a position.
type Error struct {
	// File is the name the topology was loaded under.
	File string
	// Line and Col are 1-based.
	Line, Col int
	// Field is the dotted path of the offending setting, such as
	// "topics.users.registered.transport". Empty for problems with the file as a whole.
	Field string
	// Msg says what is wrong, and how to fix it when that is clear.
	Msg string
}

// Error formats the problem as "file:line:col: field: message".
func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Col, e.Field, e.Msg)
}

// ErrorList is every problem found in a topology file, sorted by position. Load and Parse
// return it as their error; get it back with errors.As.
type ErrorList []*Error

// Error lists one problem per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so errors.As can find a single *Error too.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// sortErrors orders problems by position, then field and message, and drops exact
// duplicates.
func sortErrors(l ErrorList) ErrorList {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return a.Msg < b.Msg
	})
	out := l[:0]
	for _, e := range l {
		if len(out) > 0 && *e == *out[len(out)-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}
