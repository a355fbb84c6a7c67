package pattern_test

import (
	"strings"
	"testing"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/topology/pattern"
)

// TestParseEvent checks reading a CloudEvents JSON envelope.
func TestParseEvent(t *testing.T) {
	src := `{
  "specversion": "1.0",
  "id": "e-1",
  "source": "shop/orders",
  "type": "Order Created",
  "correlationid": "c-1",
  "causationid": "k-1",
  "data": { "order_id": "o-42", "items": [ {"item_id": "a"} ] }
}`
	ev, err := pattern.ParseEvent([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{
		metadata.KeySpecVersion: "1.0", metadata.KeyID: "e-1", metadata.KeySource: "shop/orders",
		metadata.KeyType: "Order Created", metadata.KeyCorrelationID: "c-1", metadata.KeyCausationID: "k-1",
	}
	for k, want := range checks {
		if got := ev.Metadata[k]; got != want {
			t.Errorf("Metadata[%s] = %q, want %q", k, got, want)
		}
	}
	if ev.ID != "e-1" {
		t.Errorf("ID = %q", ev.ID)
	}
	if got := string(ev.Data); got != `{"order_id":"o-42","items":[{"item_id":"a"}]}` {
		t.Errorf("Data = %s", got)
	}
	p, _ := pattern.Parse([]byte(`{"type":["Order Created"],"correlationid":["c-1"],"data":{"items":{"item_id":["a"]}}}`))
	if !p.Match(ev) {
		t.Error("the pattern does not match the parsed event")
	}
}

// TestParseEventErrors checks that errors name where the envelope is wrong.
func TestParseEventErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"{\n  \"type\": \"a\",\n  \"source\": 5\n}", `3:13: attribute "source" is not a string`},
		{"{\n  \"type\": \"a\",\n  \"time\": {\"x\": 1}\n}", `3:11: attribute "time" is not a string`},
		{"{\n  \"type\": \"a\"\n  \"source\": \"b\"\n}", "3:3: invalid JSON"},
		{"[1]", "1:1: a CloudEvents envelope is a JSON object"},
		{"{\n  \"type\": \"a\",\n  \"Bad-Name\": \"x\"\n}", `3:3: "Bad-Name" is not a CloudEvents attribute name`},
		{"{\"type\": \"a\"", "invalid JSON"},
	} {
		_, err := pattern.ParseEvent([]byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseEvent(%q) = %v, want an error containing %q", c.src, err, c.want)
		}
	}
}

// TestParseEventBase64 checks that data_base64 is decoded into Data.
func TestParseEventBase64(t *testing.T) {
	ev, err := pattern.ParseEvent([]byte(`{"type":"a","data_base64":"eyJuIjoxfQ=="}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(ev.Data) != `{"n":1}` {
		t.Errorf("Data = %q", ev.Data)
	}
}
