package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// field is one key and scalar value of a new mapping entry, in writing order.
type field struct{ key, value string }

// errUnsafeEdit marks a YAML edit that cannot be made without rewriting the file: the
// entry has to be pasted by hand.
var errUnsafeEdit = errors.New("cannot edit in place")

// addEntry returns src with "key: {fields}" added as the last entry of the top-level
// mapping section, written in the style of the section's last entry: a flow mapping on
// one line, aligned like it, or a block mapping indented like it. Comments, order and
// formatting of everything else are kept byte for byte. An error wrapping
// errUnsafeEdit means the section's shape does not allow a textual insertion.
func addEntry(src []byte, section, key string, fields []field) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: the document is not a mapping", errUnsafeEdit)
	}
	root := doc.Content[0]
	if root.Style&yaml.FlowStyle != 0 {
		return nil, fmt.Errorf("%w: the document is a flow mapping", errUnsafeEdit)
	}
	idx := -1
	for i := 0; i < len(root.Content); i += 2 {
		if root.Content[i].Value == section {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("%w: no %s section", errUnsafeEdit, section)
	}
	sec := root.Content[idx+1]
	if sec.Kind != yaml.MappingNode || sec.Style&yaml.FlowStyle != 0 || len(sec.Content) == 0 {
		return nil, fmt.Errorf("%w: %s is not a non-empty block mapping", errUnsafeEdit, section)
	}
	for i := 0; i < len(sec.Content); i += 2 {
		if sec.Content[i].Value == key {
			return nil, fmt.Errorf("%s.%s exists already", section, key)
		}
	}
	lastKey, lastVal := sec.Content[len(sec.Content)-2], sec.Content[len(sec.Content)-1]
	if lastVal.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: the last entry of %s is not a mapping", errUnsafeEdit, section)
	}

	// The section ends before the next top-level key, or at the end of the file; the
	// entry goes after its last indented line, so comments that open the next section
	// stay with it.
	lines := strings.SplitAfter(string(src), "\n")
	end := len(lines)
	if idx+2 < len(root.Content) {
		end = root.Content[idx+2].Line - 1
	}
	insert := -1
	for i := end - 1; i >= lastKey.Line-1; i-- {
		l := lines[i]
		if strings.TrimSpace(l) != "" && (l[0] == ' ' || l[0] == '\t') {
			insert = i + 1
			break
		}
	}
	if insert < 0 {
		return nil, fmt.Errorf("%w: cannot find the end of %s", errUnsafeEdit, section)
	}

	indent := strings.Repeat(" ", lastKey.Column-1)
	var entry strings.Builder
	if lastVal.Style&yaml.FlowStyle != 0 {
		head := indent + quote(key) + ":"
		pad := " "
		if n := lastVal.Column - 1 - len(head); n > 1 && lastVal.Line == lastKey.Line {
			pad = strings.Repeat(" ", n)
		}
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = f.key + ": " + quote(f.value)
		}
		entry.WriteString(head + pad + "{" + strings.Join(parts, ", ") + "}\n")
	} else {
		if len(lastVal.Content) == 0 {
			return nil, fmt.Errorf("%w: the last entry of %s is empty", errUnsafeEdit, section)
		}
		inner := strings.Repeat(" ", lastVal.Content[0].Column-1)
		entry.WriteString(indent + quote(key) + ":\n")
		for _, f := range fields {
			entry.WriteString(inner + f.key + ": " + quote(f.value) + "\n")
		}
	}
	if insert > 0 && !strings.HasSuffix(lines[insert-1], "\n") {
		lines[insert-1] += "\n"
	}
	var out bytes.Buffer
	for _, l := range lines[:insert] {
		out.WriteString(l)
	}
	out.WriteString(entry.String())
	for _, l := range lines[insert:] {
		out.WriteString(l)
	}
	if err := checkAdded(src, out.Bytes(), section, key, fields); err != nil {
		return nil, fmt.Errorf("%w: %v", errUnsafeEdit, err)
	}
	return out.Bytes(), nil
}

// checkAdded verifies that edited decodes to src's document plus exactly the new entry.
func checkAdded(src, edited []byte, section, key string, fields []field) error {
	var before, after map[string]any
	if err := yaml.Unmarshal(src, &before); err != nil {
		return err
	}
	if err := yaml.Unmarshal(edited, &after); err != nil {
		return fmt.Errorf("edited file does not parse: %w", err)
	}
	sec, ok := after[section].(map[string]any)
	if !ok {
		return fmt.Errorf("edited file lost its %s section", section)
	}
	got, ok := sec[key].(map[string]any)
	if !ok || len(got) != len(fields) {
		return fmt.Errorf("edited file has %s.%s = %v", section, key, sec[key])
	}
	for _, f := range fields {
		if fmt.Sprint(got[f.key]) != f.value {
			return fmt.Errorf("edited file has %s.%s.%s = %v, want %s", section, key, f.key, got[f.key], f.value)
		}
	}
	delete(sec, key)
	if !reflect.DeepEqual(before, after) {
		return errors.New("the edit changed other entries")
	}
	return nil
}

var plainScalar = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// quote returns s as a YAML scalar that reads the same in block and flow context.
func quote(s string) string {
	if plainScalar.MatchString(s) && !isYAMLWord(s) {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// isYAMLWord reports words a YAML parser reads as something other than a string.
func isYAMLWord(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "y", "n":
		return true
	}
	return regexp.MustCompile(`^[0-9._-]+$`).MatchString(s)
}

// snippet is what to paste into section by hand when the file cannot be edited.
func snippet(section, key string, fields []field) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.key + ": " + quote(f.value)
	}
	return fmt.Sprintf("%s:\n  %s: {%s}", section, quote(key), strings.Join(parts, ", "))
}
