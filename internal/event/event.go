package event

import (
	"maps"
	"strconv"
	"sync/atomic"
)

// Event is a message type with a stable identity. Name and version must not change
// once events are published: they become the CloudEvents type and the default topic.
// Implement both methods on the value receiver:
//
//	func (UserRegistered) EventName() string { return "users.registered" }
//	func (UserRegistered) EventVersion() int { return 1 }
type Event interface {
	// EventName is the dot-separated name, e.g. "users.registered".
	EventName() string
	// EventVersion is the schema version; a breaking change gets a new version.
	EventVersion() int
}

// Type returns the CloudEvents type of ev: "<name>.v<version>".
func Type(ev Event) string {
	key := typeKey{ev.EventName(), ev.EventVersion()}
	if t, ok := (*types.Load())[key]; ok {
		return t
	}
	t := key.name + ".v" + strconv.Itoa(key.version)
	remember(key, t)
	return t
}

// typeKey is an event's name and version.
type typeKey struct {
	name    string
	version int
}

// types caches the type strings of the events seen, so that publishing an event does
// not build its type string each time. It is copied on write: a process publishes a
// fixed, small set of event types.
var types atomic.Pointer[map[typeKey]string]

// maxCachedTypes bounds the cache, for a program that makes up event names at run time.
const maxCachedTypes = 1024

func init() { types.Store(&map[typeKey]string{}) }

// remember adds t to the cache, unless it is full.
func remember(key typeKey, t string) {
	for {
		old := types.Load()
		if len(*old) >= maxCachedTypes {
			return
		}
		next := maps.Clone(*old)
		next[key] = t
		if types.CompareAndSwap(old, &next) {
			return
		}
	}
}
