package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/millrace/millrace/topology"
)

// Reference returns the topology file reference in Markdown, generated from the JSON
// Schema: one table per section with each key's type, default, whether it is required,
// and its description. README.md carries it between reference markers, and a test keeps
// the two equal.
func Reference() (string, error) {
	var s schemaNode
	if err := json.Unmarshal(Schema(), &s); err != nil {
		return "", fmt.Errorf("topology schema: %w", err)
	}
	r := refWriter{defs: s.Defs}
	r.table("Top level", "", &s)
	r.table("transports.NAME (every kind)", "", s.def("transport"))
	for _, kind := range topology.Kinds() {
		r.table("transports.NAME with kind: "+string(kind), "kind", s.def(string(kind)+"Transport"))
	}
	r.table("topics.TOPIC", "", s.def("topic"))
	r.table("defaults", "", s.def("defaults"))
	r.table("handlers.NAME", "", s.def("handler"))
	r.table("routes.NAME", "", s.def("route"))
	r.table("retry (in defaults, handlers and routes)", "", s.def("retry"))
	r.table("poison (in defaults, handlers and routes)", "", s.def("poison"))
	if s.def("trace") != nil {
		r.table("trace", "", s.def("trace"))
	}
	return r.String(), r.err
}

// schemaNode is the part of a JSON Schema the reference reads.
type schemaNode struct {
	Ref         string                 `json:"$ref"`
	Type        any                    `json:"type"`
	Const       any                    `json:"const"`
	Enum        []any                  `json:"enum"`
	Default     any                    `json:"default"`
	Description string                 `json:"description"`
	Properties  map[string]*schemaNode `json:"properties"`
	Required    []string               `json:"required"`
	AnyOf       []*schemaNode          `json:"anyOf"`
	Additional  any                    `json:"additionalProperties"`
	Defs        map[string]*schemaNode `json:"$defs"`
}

func (s *schemaNode) def(name string) *schemaNode { return s.Defs[name] }

type refWriter struct {
	strings.Builder
	defs map[string]*schemaNode
	err  error
}

// table writes one section; skip names a key left out (the kind of a kind section).
func (r *refWriter) table(title, skip string, n *schemaNode) {
	if n == nil {
		r.err = fmt.Errorf("topology schema: no definition for %q", title)
		return
	}
	fmt.Fprintf(r, "#### %s\n\n", title)
	if n.Description != "" {
		fmt.Fprintf(r, "%s\n\n", n.Description)
	}
	r.WriteString("| key | type | default | required | description |\n|---|---|---|---|---|\n")
	keys := make([]string, 0, len(n.Properties))
	for k := range n.Properties {
		if k != skip {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := n.Properties[k]
		req := ""
		if slices.Contains(n.Required, k) {
			req = "yes"
		}
		fmt.Fprintf(r, "| `%s` | %s | %s | %s | %s |\n", k, r.typeOf(p), defaultOf(p), req, cell(r.describe(p)))
	}
	r.WriteString("\n")
}

// resolve follows a $ref into the definitions.
func (r *refWriter) resolve(n *schemaNode) *schemaNode {
	for n != nil && n.Ref != "" {
		n = r.defs[strings.TrimPrefix(n.Ref, "#/$defs/")]
	}
	return n
}

// describe returns the node's description, or that of what it refers to.
func (r *refWriter) describe(n *schemaNode) string {
	if n.Description != "" {
		return n.Description
	}
	if t := r.resolve(n); t != nil {
		return t.Description
	}
	return ""
}

// typeOf names the type of a value, ignoring the ${VAR} alternative every scalar has.
func (r *refWriter) typeOf(n *schemaNode) string {
	switch strings.TrimPrefix(n.Ref, "#/$defs/") {
	case "duration", "durationOrZero":
		return "duration"
	case "topicPattern":
		return "topic"
	case "groupName":
		return "name"
	case "eventPattern":
		return "pattern"
	}
	t := r.resolve(n)
	switch {
	case t == nil:
		return ""
	case t.Const != nil:
		return fmt.Sprintf("`%v`", t.Const)
	case len(t.Enum) > 0:
		vals := make([]string, len(t.Enum))
		for i, v := range t.Enum {
			vals[i] = fmt.Sprintf("`%v`", v)
		}
		return strings.Join(vals, " \\| ")
	case len(t.AnyOf) > 0:
		for _, alt := range t.AnyOf {
			if alt.Ref != "#/$defs/envRef" {
				return r.typeOf(alt)
			}
		}
	case t.Type == "object" && t.Additional != nil && t.Additional != false:
		return "map"
	case t.Type != nil:
		return fmt.Sprint(t.Type)
	}
	return ""
}

func defaultOf(n *schemaNode) string {
	if n.Default == nil {
		return ""
	}
	return fmt.Sprintf("`%v`", n.Default)
}

// cell keeps a description inside one Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
