// Package metadata names the message metadata keys every layer of the message path
// agrees on (the CloudEvents attributes and the flow ids), and Release marks a message
// its publisher is done with. It imports nothing of millrace, so transports and codecs
// use it without depending on the typed-event layer.
package metadata
