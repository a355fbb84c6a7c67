package pattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/valyala/fastjson"
)

// Event is what a pattern is matched against: a CloudEvents event seen through a
// message's metadata and payload. The zero value with Metadata set is ready to use.
//
// The payload is parsed lazily, once, the first time a pattern names a payload field,
// and the parsed tree is shared by every pattern matched against the Event. An Event
// is therefore not safe for concurrent use, and Data must not change between matches
// unless Release is called first.
type Event struct {
	// Metadata is the message metadata: attribute x is under key "ce_x", except
	// correlationid (metadata.KeyCorrelationID) and causationid
	// (metadata.KeyCausationID).
	Metadata map[string]string
	// ID is the id attribute when Metadata has no ce_id (the message UUID).
	ID string
	// Data is the JSON payload; when it is not valid JSON the payload has no fields.
	Data []byte

	parsed bool
	parser *fastjson.Parser
	root   *fastjson.Value
}

// parserPool holds the parsers of the payloads of Events.
var parserPool fastjson.ParserPool

// payload returns the parsed payload, parsing it on first use; nil when there is
// none or it is not valid JSON.
func (e *Event) payload() *fastjson.Value {
	if e.parsed {
		return e.root
	}
	e.parsed = true
	if len(e.Data) == 0 {
		return nil
	}
	p := parserPool.Get()
	v, err := p.ParseBytes(e.Data)
	if err != nil {
		parserPool.Put(p)
		return nil
	}
	e.parser, e.root = p, v
	return v
}

// Release gives back the memory of the parsed payload to a pool shared by all Events.
// The Event may be reused afterwards (with new Metadata, ID or Data); its payload is
// parsed again when needed.
func (e *Event) Release() {
	if e.parser != nil {
		parserPool.Put(e.parser)
	}
	e.parsed, e.parser, e.root = false, nil, nil
}

// attr returns the attribute stored under the metadata key.
func (e *Event) attr(key string, isID bool) (string, bool) {
	s, ok := e.Metadata[key]
	if !ok && isID && e.ID != "" {
		return e.ID, true
	}
	return s, ok
}

// ParseEvent reads a CloudEvents 1.0 JSON envelope (structured mode): its attributes
// (which must be strings) go into Metadata under their metadata keys, the id also into
// ID, and "data" (any JSON value) is re-encoded compactly into Data. A "data_base64"
// member is decoded into Data instead. Errors name the line and column of the offending
// JSON.
func ParseEvent(data []byte) (*Event, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	pos := func(off int64) string {
		line, col := lineCol(data, off)
		return fmt.Sprintf("%d:%d", line, col)
	}
	syntax := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("%s: invalid JSON: %v", pos(se.Offset), err)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s: invalid JSON: unexpected end of input", pos(int64(len(data))))
		}
		return fmt.Errorf("%s: invalid JSON: %v", pos(dec.InputOffset()), err)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%s: a CloudEvents envelope is a JSON object", pos(valueStart(data, 0)))
	}
	ev := &Event{Metadata: map[string]string{}}
	seen := map[string]bool{}
	for dec.More() {
		keyOff := valueStart(data, dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, syntax(err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, fmt.Errorf("%s: %q named twice", pos(keyOff), key)
		}
		seen[key] = true
		valOff := valueStart(data, dec.InputOffset())
		switch key {
		case "data", "data_base64":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, syntax(err)
			}
			if key == "data_base64" {
				var b []byte
				if err := json.Unmarshal(raw, &b); err != nil {
					return nil, fmt.Errorf("%s: data_base64 is not a base64 string", pos(valOff))
				}
				ev.Data = b
				continue
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return nil, syntax(err)
			}
			ev.Data = buf.Bytes()
			continue
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, syntax(err)
		}
		s, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("%s: attribute %q is not a string", pos(valOff), key)
		}
		if !attrNameRE.MatchString(key) {
			return nil, fmt.Errorf("%s: %q is not a CloudEvents attribute name (lowercase a-z and 0-9)", pos(keyOff), key)
		}
		ev.Metadata[metadata.AttributeKey(key)] = s
		if key == "id" {
			ev.ID = s
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntax(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: unexpected text after the envelope", pos(valueStart(data, dec.InputOffset())))
	}
	return ev, nil
}

// valueStart skips white space, colons and commas from off.
func valueStart(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// lineCol turns a byte offset into a 1-based line and column (in bytes).
func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
