// Package pattern is content-based routing for millrace: it compiles event patterns
// written in the event-pattern language of Amazon EventBridge and matches them against
// events.
//
// # Events
//
// A pattern sees an event as a CloudEvents 1.0 JSON envelope: the attributes
// specversion, id, source, type, subject, time, datacontenttype and extensions such as
// correlationid and causationid, and data, the JSON payload. An Event carries them as
// a message does: attribute x in metadata key "ce_x" (correlationid and causationid in
// the keys of package internal/metadata), the id falling back to the message UUID, and
// the payload as bytes. The payload is parsed only when a pattern names a field of
// data, at most once per Event, and the parsed tree is shared by every pattern matched
// against that Event. A pattern that names only attributes never allocates and never
// looks at the payload.
//
// # The language in brief
//
// A pattern is a JSON or YAML object. Its keys are attribute names, data (an object:
// a pattern over the payload's fields, nested as deep as the payload) and $or. The
// value of a field is a list of conditions, any of which may match; all the keys of
// an object must match; keys the pattern does not name are ignored; matching is
// case-sensitive. When the event's value is an array, the field matches when any
// element matches, and a field under an array of objects is looked for in every
// element ({"data": {"items": {"item_id": ["a"]}}} matches items [{"item_id": "b"},
// {"item_id": "a"}]). A condition is
//
//   - a string, number, boolean or null, matching that exact value: numbers compare as
//     numbers (300, 300.0 and 3e2 are equal) and only with JSON numbers (the string
//     "150" is not the number 150); null matches a JSON null, not a missing field;
//     "" matches only the empty string;
//   - {"prefix": "s"}, {"suffix": "s"}, each also as {"prefix": {"equals-ignore-case":
//     "s"}}; {"equals-ignore-case": "s"}; {"wildcard": "a*b*c"} where * is any run of
//     characters, \* a literal star and \\ a backslash, and ** is refused. These match
//     strings only;
//   - {"anything-but": v} where v is a string, a number, a list of strings or a list of
//     numbers, or {"prefix"|"suffix"|"equals-ignore-case"|"wildcard": s or [s, ...]};
//     it matches a present value that is none of those (a missing field does not
//     match anything-but);
//   - {"numeric": [">", 0, "<=", 5]}: one comparison (=, <, <=, >, >=) or a range of a
//     lower and an upper bound, on JSON numbers only;
//   - {"exists": true} or {"exists": false}: whether the field has a value. Only leaves
//     count: a field whose value is an object (or an empty array) does not exist;
//   - {"cidr": "10.0.0.0/24"}: a string holding an IPv4 or IPv6 address in the block.
//
// "$or": [{...}, {...}] (two or more objects) at any object level of a pattern matches
// when any of its objects matches at that level; $or nests.
//
// Attributes are strings (they come from message metadata), so a number, boolean,
// null or numeric condition on an attribute never matches, and an attribute has no
// fields (an object under an attribute name is a problem). Attribute names are
// CloudEvents names: lowercase letters a-z and digits 0-9.
//
// An invalid pattern is reported as a list of every Problem found, each with the line
// and column of the offending node, the dotted field (such as data.items.quantity) and
// what is wrong. Pattern.String renders the canonical form of a compiled pattern.
//
// # Where millrace differs from EventBridge
//
// EventBridge events are not CloudEvents: write type for detail-type and data for
// detail; account, region and resources do not exist (Parse says so and what to write
// instead). Further:
//
//   - $or is always the operator; EventBridge's legacy reading of a malformed $or as an
//     ordinary field name is not supported, it is a problem instead.
//   - Numbers are float64: numeric conditions are not limited to EventBridge's
//     -5e9..5e9 range and six decimal places, and compare with full float64 precision.
//   - The fields of one pattern under an array of objects may match in different
//     elements of that array (each field looks in every element on its own).
//   - anything-but with prefix, suffix, equals-ignore-case or wildcard matches strings
//     only; anything-but with a value or list matches any present value of another
//     type (anything-but "x" matches the number 5, and anything-but 5 matches an
//     attribute, since attributes are strings).
//   - The payload is parsed leniently for speed: valid JSON is read exactly, and
//     invalid JSON that the parser cannot read has no fields, but some malformed
//     payloads (such as a string with a raw control character) are still read, and a
//     payload nested more than 300 levels deep has no fields.
//   - Duplicate keys in a payload object: the first one counts.
//   - An unpaired UTF-16 surrogate escape in a payload string (such as "\ud800") is
//     read as its six characters rather than as U+FFFD.
//   - anything-but also takes a list under prefix and suffix (EventBridge takes a
//     list only under equals-ignore-case and wildcard).
//   - Patterns are read as YAML (JSON is YAML), so a YAML pattern may use anchors and
//     aliases (not merge keys); a pattern expanding to more than a fixed number of
//     nodes is refused.
package pattern
