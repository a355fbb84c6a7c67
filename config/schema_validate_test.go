package config_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/topology"
)

// compileSchema compiles config/topology.schema.json with a JSON Schema 2020-12
// validator.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(config.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("topology.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("topology.schema.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return sch
}

// instance turns a YAML topology into the JSON value the validator reads.
func instance(t *testing.T, src string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// withPatterns is a valid topology using every kind of pattern condition.
const withPatterns = `version: 1
transports:
  mem: {kind: gochannel}
topics:
  orders.created: {transport: mem}
  review.orders: {transport: mem}
handlers:
  h:
    topic: orders.created
    filter:
      source: [orders, {prefix: ord}, {suffix: ers}, {equals-ignore-case: ORDERS}, {wildcard: "o*s"}]
      type: [{anything-but: [Order Shipped, Order Lost]}, {anything-but: {prefix: test}}]
      subject: [{exists: false}]
      data:
        total: [{numeric: [">", 0, "<=", 5000]}, 0, null, true]
        ip: [{cidr: "10.0.0.0/8"}, {cidr: "2001:db8::/32"}]
        items: {sku: [{anything-but: {equals-ignore-case: [x, y]}}], qty: [{numeric: [">=", 1]}]}
        $or: [{vip: [true]}, {total: [{numeric: [">", 1000]}]}]
      $or:
        - {source: [orders]}
        - {$or: [{type: [a]}, {type: [b]}]}
routes:
  big:
    from: orders.created
    filter: {data: {total: [{numeric: [">", 1000]}]}}
    to: review.orders
    concurrency: 2
    retry: {max_attempts: 3}
`

// TestSchemaValidates checks the schema with a real validator: it accepts every
// embedded profile and a topology using every pattern condition, which the loader
// accepts too, and rejects what the loader rejects in filters and routes.
func TestSchemaValidates(t *testing.T) {
	sch := compileSchema(t)
	profiles, err := filepath.Glob("*.yaml")
	if err != nil || len(profiles) < 5 {
		t.Fatalf("profiles %v, %v", profiles, err)
	}
	for _, p := range profiles {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(instance(t, string(data))); err != nil {
			t.Errorf("profile %s does not validate: %v", p, err)
		}
	}
	if err := sch.Validate(instance(t, withPatterns)); err != nil {
		t.Errorf("a topology with every pattern condition does not validate: %v", err)
	}
	if _, err := topology.Parse("patterns.yaml", []byte(withPatterns)); err != nil {
		t.Errorf("the loader refuses what the schema accepts: %v", err)
	}
	for name, change := range map[string][2]string{
		"leaf not a list":     {"subject: [{exists: false}]", "subject: orders"},
		"unknown operator":    {"{exists: false}", "{exits: false}"},
		"exists not boolean":  {"{exists: false}", "{exists: maybe}"},
		"numeric comparator":  {`[">", 0, "<=", 5000]`, `["~", 0]`},
		"one $or branch":      {"$or: [{vip: [true]}, {total: [{numeric: [\">\", 1000]}]}]", "$or: [{vip: [true]}]"},
		"attribute uppercase": {"subject: [{exists: false}]", "Subject: [a]"},
		"data not an object":  {"      data:\n        total:", "      data: [x]\n      other:\n        total:"},
		"route without to":    {"    to: review.orders\n", ""},
		"route group":         {"    concurrency: 2\n", "    group: g\n"},
		"empty leaf":          {"subject: [{exists: false}]", "subject: []"},
	} {
		src := strings.Replace(withPatterns, change[0], change[1], 1)
		if src == withPatterns {
			t.Fatalf("%s: the change %q does not apply", name, change[0])
		}
		if err := sch.Validate(instance(t, src)); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
		if _, err := topology.Parse("patterns.yaml", []byte(src)); err == nil {
			t.Errorf("%s: the loader accepts it", name)
		}
	}
}
