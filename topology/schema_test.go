package topology_test

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"testing"

	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/topology"
)

// schemaNode is the part of a JSON Schema the test compares.
type schemaNode struct {
	Properties map[string]json.RawMessage `json:"properties"`
	// AdditionalProperties is false, a schema, or absent.
	AdditionalProperties json.RawMessage `json:"additionalProperties"`
}

// TestSchemaMatchesLoader checks that config/topology.schema.json is valid JSON and that
// each section of it accepts exactly the keys the loader accepts.
func TestSchemaMatchesLoader(t *testing.T) {
	data, err := os.ReadFile("../config/topology.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var root struct {
		schemaNode
		Schema string                `json:"$schema"`
		Defs   map[string]schemaNode `json:"$defs"`
	}
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatalf("schema is not valid JSON: %v", err)
	}
	if root.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %q, want draft 2020-12", root.Schema)
	}
	sections := map[string]schemaNode{topology.SecTopology: root.schemaNode}
	for name, def := range root.Defs {
		if def.Properties != nil {
			sections[name] = def
		}
	}
	// The loader's own sections, then one "<kind>Transport" section per registered kind.
	want := map[string][]string{}
	for section, keys := range topology.KnownKeys {
		want[section] = keys
	}
	for _, kind := range topology.Kinds() {
		spec, _ := topology.LookupKind(kind)
		want[string(kind)+"Transport"] = spec.Keys
	}
	for section, keys := range want {
		node, ok := sections[section]
		if !ok {
			t.Errorf("schema has no $defs/%s for loader section %s", section, section)
			continue
		}
		got := make([]string, 0, len(node.Properties))
		for k := range node.Properties {
			got = append(got, k)
		}
		want := slices.Clone(keys)
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("section %s: schema keys %v, loader keys %v", section, got, want)
		}
		// The generic transport section only fixes kind; its kind sections close it.
		closed := string(node.AdditionalProperties) == "false"
		if section != topology.SecTransport && !closed {
			t.Errorf("section %s: schema does not set additionalProperties: false", section)
		}
	}
	for name := range sections {
		if _, ok := want[name]; !ok {
			t.Errorf("schema section %s has no loader section or registered kind", name)
		}
	}
}

// TestSchemaDialectsMatchLoader checks that the schema's SQL dialect enum lists exactly
// the dialects the loader accepts.
func TestSchemaDialectsMatchLoader(t *testing.T) {
	data, err := os.ReadFile("../config/topology.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var root struct {
		Defs map[string]struct {
			Properties struct {
				Dialect struct {
					AnyOf []struct {
						Enum []string `json:"enum"`
					} `json:"anyOf"`
				} `json:"dialect"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range root.Defs["sqlTransport"].Properties.Dialect.AnyOf {
		got = append(got, a.Enum...)
	}
	var want []string
	for _, d := range sqldb.Dialects {
		want = append(want, string(d))
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("schema dialects %v, want %v", got, want)
	}
	for _, d := range want {
		src := "version: 1\ntransports:\n  db: {kind: sql, dialect: " + d + ", dsn: x}\ntopics:\n  a: {transport: db}\n"
		if _, err := topology.Parse("t.yaml", []byte(src)); err != nil {
			t.Errorf("dialect %s rejected: %v", d, err)
		}
	}
}
