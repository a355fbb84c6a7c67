// Package pattern is content-based routing for millrace: it compiles event patterns in
// the language of Amazon EventBridge and matches them against events.
package pattern
