package topology

import (
	"fmt"
	"strings"
)

// isPattern reports whether name has a segment that is exactly "*".
func isPattern(name string) bool {
	return name == "*" || strings.HasPrefix(name, "*.") || strings.HasSuffix(name, ".*") ||
		strings.Contains(name, ".*.")
}

// checkTopicName returns why name is not a valid topic name or pattern, or "" if it is.
// Segments are separated by '.', are non-empty and consist of [A-Za-z0-9_-], or are
// exactly "*" when patterns are allowed.
func checkTopicName(name string, allowPattern bool) string {
	if name == "" {
		return "topic name is empty"
	}
	for i, seg := range strings.Split(name, ".") {
		if seg == "" {
			return fmt.Sprintf("topic name %q has an empty segment %d (segments are separated by single dots)", name, i+1)
		}
		if seg == "*" {
			if !allowPattern {
				return fmt.Sprintf("topic name %q must not contain a \"*\" segment here", name)
			}
			continue
		}
		for j := 0; j < len(seg); j++ {
			c := seg[j]
			if isNameChar(c) {
				continue
			}
			if c == '*' {
				return fmt.Sprintf("topic name %q: \"*\" must be a whole segment, not part of %q", name, seg)
			}
			return fmt.Sprintf("topic name %q: invalid character %q in segment %q (allowed: A-Z a-z 0-9 _ -)", name, c, seg)
		}
	}
	return ""
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// checkHandlerName returns why name is not a valid handler or group name
// ([a-z0-9][a-z0-9-_.]*), or "" if it is.
func checkHandlerName(what, name string) string {
	if name == "" {
		return what + " is empty"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			continue
		}
		if i > 0 && (c == '-' || c == '_' || c == '.') {
			continue
		}
		return fmt.Sprintf("%s %q: invalid character %q at %d (use lower-case letters, digits, and - _ . after the first character)", what, name, c, i+1)
	}
	return ""
}

// checkTransportName returns why name is not a valid transport name, or "" if it is.
func checkTransportName(name string) string {
	if name == "" {
		return "transport name is empty"
	}
	for i := 0; i < len(name); i++ {
		if !isNameChar(name[i]) {
			return fmt.Sprintf("transport name %q: invalid character %q (allowed: A-Z a-z 0-9 _ -)", name, name[i])
		}
	}
	return ""
}

// matchSegments reports whether the concrete topic matches the pattern split into
// segments, without allocating. A "*" matches one non-empty segment.
func matchSegments(segs []string, topic string) bool {
	for i, seg := range segs {
		var cur string
		if i == len(segs)-1 {
			cur = topic
			if strings.IndexByte(cur, '.') >= 0 {
				return false
			}
		} else {
			dot := strings.IndexByte(topic, '.')
			if dot < 0 {
				return false
			}
			cur, topic = topic[:dot], topic[dot+1:]
		}
		if seg != cur && (seg != "*" || cur == "") {
			return false
		}
	}
	return true
}

// moreSpecific reports whether pattern a (split) matches a subset of what b matches: both
// have the same number of segments, and each segment of b is "*" or equal to a's.
func moreSpecific(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range b {
		if b[i] != "*" && b[i] != a[i] {
			return false
		}
	}
	return true
}

// overlap reports whether two patterns (split) can match a common topic.
func overlap(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != "*" && b[i] != "*" && a[i] != b[i] {
			return false
		}
	}
	return true
}

// countStars returns the number of "*" segments.
func countStars(segs []string) int {
	n := 0
	for _, s := range segs {
		if s == "*" {
			n++
		}
	}
	return n
}

// Placeholders of a poison topic template.
const (
	placeholderTopic   = "{topic}"
	placeholderHandler = "{handler}"
)

// expandPoison fills a poison topic template for one topic and handler. An empty
// template (no poison queue) gives "".
func expandPoison(template, topic, handler string) string {
	if template == "" || strings.IndexByte(template, '{') < 0 {
		return template
	}
	s := strings.ReplaceAll(template, placeholderTopic, topic)
	return strings.ReplaceAll(s, placeholderHandler, handler)
}

// checkPoisonTemplate returns why template is not a valid poison topic template, or "".
func checkPoisonTemplate(template string) string {
	for i := 0; i < len(template); i++ {
		switch template[i] {
		case '{':
			end := strings.IndexByte(template[i:], '}')
			if end < 0 {
				return fmt.Sprintf("unclosed \"{\" in poison topic template %q", template)
			}
			ph := template[i : i+end+1]
			if ph != placeholderTopic && ph != placeholderHandler {
				return fmt.Sprintf("unknown placeholder %s in poison topic template %q (known: {topic}, {handler})", ph, template)
			}
			i += end
		case '}':
			return fmt.Sprintf("unmatched \"}\" in poison topic template %q", template)
		}
	}
	return ""
}

// suggest returns the known key closest to key, or "" when none is close.
func suggest(key string, known []string) string {
	if len(key) > 64 {
		return ""
	}
	lk := strings.ToLower(key)
	best, bestD := "", 3
	for _, k := range known {
		d := editDistance(lk, k)
		if d < bestD && d < len(k) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
