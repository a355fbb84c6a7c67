package pattern_test

import (
	"strings"
	"testing"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/topology/pattern"
)

// newEvent builds an Event from attributes (by attribute name) and a payload.
func newEvent(attrs map[string]string, data string) *pattern.Event {
	md := make(map[string]string, len(attrs))
	for k, v := range attrs {
		md[metadata.AttributeKey(k)] = v
	}
	ev := &pattern.Event{Metadata: md}
	if data != "" {
		ev.Data = []byte(data)
	}
	return ev
}

// order is the attributes most cases use.
var order = map[string]string{
	"specversion": "1.0", "id": "e-1", "source": "shop/orders", "type": "Order Created",
	"subject": "order/42", "time": "2026-10-02T16:24:49Z", "datacontenttype": "application/json",
	"correlationid": "corr-1", "causationid": "cause-1", "ip": "10.0.0.33", "ip6": "2001:db8::1",
}

// orderData is the payload most cases use.
const orderData = `{
 "order_id": "o-42", "status": "paid", "empty": "", "none": null, "flag": true, "off": false,
 "total": 300, "total_f": 300.0, "total_e": 3e2, "count": 5, "neg": -3.5, "numstr": "150",
 "tags": ["new", "vip"], "nums": [1, 2, 3], "source_ip": "192.168.1.20", "ip6": "fe80::1",
 "items": [{"item_id": "a", "qty": 1}, {"item_id": "b", "qty": 7, "sub": [{"sku": "x-1"}, [{"sku": "y-2"}]]}],
 "customer": {"name": "Ada", "email": "ADA@Example.COM", "address": {"city": "Paris"}},
 "path": "/usr/lib/libx.so", "star": "a*b", "file": "report-2026-final.pdf", "emptyarr": [], "obj": {"k": 1},
 "emoji": "😀"
}`

type matchCase struct {
	name    string
	pattern string
	attrs   map[string]string // nil: order
	data    string            // "": orderData; "-": no payload
	want    bool
	field   string // when set (and want is false), the field Explain must name
}

var matchCases = []matchCase{
	// attributes: exact strings, several values, several keys, case-sensitivity
	{name: "type exact", pattern: `{"type":["Order Created"]}`, want: true},
	{name: "type one of", pattern: `{"type":["Order Completed","Order Created"]}`, want: true},
	{name: "type not one of", pattern: `{"type":["Order Created","Order Completed"]}`, attrs: map[string]string{"type": "Order Shipped"}, want: false, field: "type"},
	{name: "type case-sensitive", pattern: `{"type":["order created"]}`, want: false, field: "type"},
	{name: "and of attributes", pattern: `{"type":["Order Created"],"source":["shop/orders"]}`, want: true},
	{name: "and fails on second", pattern: `{"type":["Order Created"],"source":["billing"]}`, want: false, field: "source"},
	{name: "keys not named ignored", pattern: `{"subject":["order/42"]}`, want: true},
	{name: "id from metadata", pattern: `{"id":["e-1"]}`, want: true},
	{name: "correlationid", pattern: `{"correlationid":["corr-1"],"causationid":["cause-1"]}`, want: true},
	{name: "specversion", pattern: `{"specversion":["1.0"],"datacontenttype":[{"suffix":"/json"}]}`, want: true},
	{name: "missing attribute", pattern: `{"tenant":["x"]}`, want: false, field: "tenant"},
	{name: "empty string matches only empty", pattern: `{"subject":[""]}`, want: false, field: "subject"},
	{name: "empty attribute matches empty", pattern: `{"subject":[""]}`, attrs: map[string]string{"subject": ""}, want: true},
	{name: "empty string not missing", pattern: `{"subject":[""]}`, attrs: map[string]string{"type": "x"}, want: false},
	// attributes: operators
	{name: "attr prefix", pattern: `{"source":[{"prefix":"shop/"}]}`, want: true},
	{name: "attr prefix no", pattern: `{"source":[{"prefix":"Shop/"}]}`, want: false},
	{name: "attr suffix", pattern: `{"subject":[{"suffix":"/42"}]}`, want: true},
	{name: "attr equals-ignore-case", pattern: `{"type":[{"equals-ignore-case":"ORDER created"}]}`, want: true},
	{name: "attr prefix ignore case", pattern: `{"type":[{"prefix":{"equals-ignore-case":"ORDER "}}]}`, want: true},
	{name: "attr suffix ignore case", pattern: `{"type":[{"suffix":{"equals-ignore-case":"CREATED"}}]}`, want: true},
	{name: "attr wildcard", pattern: `{"time":[{"wildcard":"2026-*-02T*Z"}]}`, want: true},
	{name: "attr wildcard no", pattern: `{"time":[{"wildcard":"2025-*"}]}`, want: false},
	{name: "attr anything-but", pattern: `{"type":[{"anything-but":"Order Deleted"}]}`, want: true},
	{name: "attr anything-but hit", pattern: `{"type":[{"anything-but":["Order Created","x"]}]}`, want: false, field: "type"},
	{name: "attr anything-but missing", pattern: `{"tenant":[{"anything-but":"x"}]}`, want: false},
	{name: "attr cidr v4", pattern: `{"ip":[{"cidr":"10.0.0.0/24"}]}`, want: true},
	{name: "attr cidr v6", pattern: `{"ip6":[{"cidr":"2001:db8::/32"}]}`, want: true},
	{name: "attr exists", pattern: `{"subject":[{"exists":true}]}`, want: true},
	{name: "attr exists false", pattern: `{"tenant":[{"exists":false}]}`, want: true},
	{name: "attr exists false present", pattern: `{"subject":[{"exists":false}]}`, want: false},
	{name: "attr numeric never", pattern: `{"subject":[{"numeric":[">",0]}]}`, attrs: map[string]string{"subject": "5"}, want: false},
	{name: "attr number never", pattern: `{"subject":[5]}`, attrs: map[string]string{"subject": "5"}, want: false},
	{name: "attr bool never", pattern: `{"subject":[true]}`, attrs: map[string]string{"subject": "true"}, want: false},
	{name: "attr null never", pattern: `{"subject":[null]}`, attrs: map[string]string{"subject": "null"}, want: false},
	{name: "attr null not missing", pattern: `{"tenant":[null]}`, want: false},
	// data: exact values
	{name: "data string", pattern: `{"data":{"status":["paid"]}}`, want: true},
	{name: "data string no", pattern: `{"data":{"status":["refunded"]}}`, want: false, field: "data.status"},
	{name: "data empty string", pattern: `{"data":{"empty":[""]}}`, want: true},
	{name: "data empty string vs null", pattern: `{"data":{"none":[""]}}`, want: false},
	{name: "data null", pattern: `{"data":{"none":[null]}}`, want: true},
	{name: "data null vs missing", pattern: `{"data":{"nothere":[null]}}`, want: false, field: "data.nothere"},
	{name: "data bool", pattern: `{"data":{"flag":[true],"off":[false]}}`, want: true},
	{name: "data bool vs string", pattern: `{"data":{"flag":["true"]}}`, want: false},
	{name: "data number", pattern: `{"data":{"total":[300]}}`, want: true},
	{name: "data 300 vs 300.0", pattern: `{"data":{"total_f":[300]}}`, want: true},
	{name: "data 300 vs 3e2", pattern: `{"data":{"total_e":[300.0]}}`, want: true},
	{name: "data 3e2 pattern", pattern: `{"data":{"total":[3e2]}}`, want: true},
	{name: "data number vs numeric string", pattern: `{"data":{"numstr":[150]}}`, want: false},
	{name: "data string vs number", pattern: `{"data":{"total":["300"]}}`, want: false},
	{name: "data nested object", pattern: `{"data":{"customer":{"address":{"city":["Paris"]}}}}`, want: true},
	{name: "data nested object no", pattern: `{"data":{"customer":{"address":{"city":["Rome"]}}}}`, want: false, field: "data.customer.address.city"},
	{name: "data keys not named ignored", pattern: `{"data":{"customer":{"name":["Ada"]}}}`, want: true},
	{name: "data invalid json", pattern: `{"data":{"status":["paid"]}}`, data: `{"status":"paid"`, want: false},
	{name: "data invalid json exists false", pattern: `{"data":{"status":[{"exists":false}]}}`, data: `not json`, want: true},
	{name: "no payload", pattern: `{"data":{"status":["paid"]}}`, data: "-", want: false},
	// arrays in the event
	{name: "event array any", pattern: `{"data":{"tags":["vip"]}}`, want: true},
	{name: "event array none", pattern: `{"data":{"tags":["old"]}}`, want: false},
	{name: "event array numbers", pattern: `{"data":{"nums":[{"numeric":[">=",3]}]}}`, want: true},
	{name: "array of objects", pattern: `{"data":{"items":{"item_id":["b"]}}}`, want: true},
	{name: "array of objects no", pattern: `{"data":{"items":{"item_id":["c"]}}}`, want: false, field: "data.items.item_id"},
	{name: "nested arrays of objects", pattern: `{"data":{"items":{"sub":{"sku":["y-2"]}}}}`, want: true},
	{name: "nested arrays prefix", pattern: `{"data":{"items":{"sub":{"sku":[{"prefix":"x-"}]}}}}`, want: true},
	{name: "array element numeric", pattern: `{"data":{"items":{"qty":[{"numeric":[">",5]}]}}}`, want: true},
	{name: "empty event array", pattern: `{"data":{"emptyarr":[{"exists":true}]}}`, want: false},
	{name: "empty event array exists false", pattern: `{"data":{"emptyarr":[{"exists":false}]}}`, want: true},
	// prefix, suffix, equals-ignore-case, wildcard on data
	{name: "data prefix", pattern: `{"data":{"order_id":[{"prefix":"o-"}]}}`, want: true},
	{name: "data prefix on number", pattern: `{"data":{"total":[{"prefix":"3"}]}}`, want: false},
	{name: "data suffix", pattern: `{"data":{"file":[{"suffix":".pdf"}]}}`, want: true},
	{name: "data empty prefix", pattern: `{"data":{"status":[{"prefix":""}]}}`, want: true},
	{name: "data equals-ignore-case", pattern: `{"data":{"customer":{"email":[{"equals-ignore-case":"ada@example.com"}]}}}`, want: true},
	{name: "data wildcard several stars", pattern: `{"data":{"file":[{"wildcard":"report-*-*.pdf"}]}}`, want: true},
	{name: "data wildcard several stars no", pattern: `{"data":{"file":[{"wildcard":"report-*-*.doc"}]}}`, want: false},
	{name: "data wildcard leading and trailing", pattern: `{"data":{"path":[{"wildcard":"*/lib/*"}]}}`, want: true},
	{name: "data wildcard no star is exact", pattern: `{"data":{"status":[{"wildcard":"pai"}]}}`, want: false},
	{name: "data wildcard escaped star", pattern: `{"data":{"star":[{"wildcard":"a\\*b"}]}}`, want: true},
	{name: "data wildcard escaped star literal", pattern: `{"data":{"star":[{"wildcard":"a\\*c"}]}}`, want: false},
	{name: "data wildcard star matches empty", pattern: `{"data":{"status":[{"wildcard":"pa*id"}]}}`, want: true},
	{name: "data wildcard overlapping", pattern: `{"data":{"status":[{"wildcard":"*aid*d"}]}}`, want: false},
	// anything-but forms
	{name: "anything-but string", pattern: `{"data":{"status":[{"anything-but":"refunded"}]}}`, want: true},
	{name: "anything-but string hit", pattern: `{"data":{"status":[{"anything-but":"paid"}]}}`, want: false},
	{name: "anything-but string list", pattern: `{"data":{"status":[{"anything-but":["paid","open"]}]}}`, want: false},
	{name: "anything-but number", pattern: `{"data":{"total":[{"anything-but":100}]}}`, want: true},
	{name: "anything-but number hit", pattern: `{"data":{"total_e":[{"anything-but":300}]}}`, want: false},
	{name: "anything-but number list", pattern: `{"data":{"count":[{"anything-but":[1,2,5]}]}}`, want: false},
	{name: "anything-but prefix", pattern: `{"data":{"status":[{"anything-but":{"prefix":"pa"}}]}}`, want: false},
	{name: "anything-but prefix miss", pattern: `{"data":{"status":[{"anything-but":{"prefix":"re"}}]}}`, want: true},
	{name: "anything-but suffix", pattern: `{"data":{"file":[{"anything-but":{"suffix":".doc"}}]}}`, want: true},
	{name: "anything-but equals-ignore-case", pattern: `{"data":{"status":[{"anything-but":{"equals-ignore-case":["PAID","OPEN"]}}]}}`, want: false},
	{name: "anything-but wildcard", pattern: `{"data":{"path":[{"anything-but":{"wildcard":"*/bin/*"}}]}}`, want: true},
	{name: "anything-but missing", pattern: `{"data":{"nothere":[{"anything-but":"x"}]}}`, want: false},
	{name: "anything-but array any element", pattern: `{"data":{"tags":[{"anything-but":"new"}]}}`, want: true},
	{name: "anything-but array all listed", pattern: `{"data":{"tags":[{"anything-but":["new","vip"]}]}}`, want: false},
	// numeric
	{name: "numeric range", pattern: `{"data":{"count":[{"numeric":[">",0,"<=",5]}]}}`, want: true},
	{name: "numeric upper exclusive", pattern: `{"data":{"count":[{"numeric":[">",0,"<",5]}]}}`, want: false},
	{name: "numeric lower inclusive", pattern: `{"data":{"count":[{"numeric":[">=",5,"<",6]}]}}`, want: true},
	{name: "numeric lower exclusive", pattern: `{"data":{"count":[{"numeric":[">",5]}]}}`, want: false},
	{name: "numeric upper first", pattern: `{"data":{"count":[{"numeric":["<",10,">",4]}]}}`, want: true},
	{name: "numeric equals", pattern: `{"data":{"total_e":[{"numeric":["=",300]}]}}`, want: true},
	{name: "numeric negative", pattern: `{"data":{"neg":[{"numeric":["<",-3]}]}}`, want: true},
	{name: "numeric on numeric string", pattern: `{"data":{"numstr":[{"numeric":[">",100]}]}}`, want: false},
	{name: "numeric missing", pattern: `{"data":{"nothere":[{"numeric":[">",0]}]}}`, want: false},
	// exists
	{name: "exists leaf", pattern: `{"data":{"status":[{"exists":true}]}}`, want: true},
	{name: "exists null leaf", pattern: `{"data":{"none":[{"exists":true}]}}`, want: true},
	{name: "exists missing", pattern: `{"data":{"nothere":[{"exists":true}]}}`, want: false},
	{name: "exists false missing", pattern: `{"data":{"nothere":[{"exists":false}]}}`, want: true},
	{name: "exists false present", pattern: `{"data":{"status":[{"exists":false}]}}`, want: false, field: "data.status"},
	{name: "exists on object", pattern: `{"data":{"obj":[{"exists":true}]}}`, want: false},
	{name: "exists false on object", pattern: `{"data":{"obj":[{"exists":false}]}}`, want: true},
	{name: "exists in array of objects", pattern: `{"data":{"items":{"sub":[{"exists":true}]}}}`, want: false},
	{name: "exists or value", pattern: `{"data":{"nothere":[{"exists":false},"x"]}}`, want: true},
	// cidr
	{name: "cidr v4", pattern: `{"data":{"source_ip":[{"cidr":"192.168.0.0/16"}]}}`, want: true},
	{name: "cidr v4 outside", pattern: `{"data":{"source_ip":[{"cidr":"10.0.0.0/8"}]}}`, want: false},
	{name: "cidr v6", pattern: `{"data":{"ip6":[{"cidr":"fe80::/10"}]}}`, want: true},
	{name: "cidr v6 vs v4 address", pattern: `{"data":{"source_ip":[{"cidr":"::/0"}]}}`, want: false},
	{name: "cidr not an address", pattern: `{"data":{"status":[{"cidr":"0.0.0.0/0"}]}}`, want: false},
	// $or
	{name: "or top", pattern: `{"$or":[{"type":["x"]},{"source":["shop/orders"]}]}`, want: true},
	{name: "or top none", pattern: `{"$or":[{"type":["x"]},{"source":["y"]}]}`, want: false, field: "$or"},
	{name: "or mixes attr and data", pattern: `{"$or":[{"type":["x"]},{"data":{"status":["paid"]}}]}`, want: true},
	{name: "or inside data", pattern: `{"data":{"$or":[{"status":["open"]},{"count":[{"numeric":[">",4]}]}]}}`, want: true},
	{name: "or inside data none", pattern: `{"data":{"customer":{"$or":[{"name":["Bob"]},{"email":["x"]}]}}}`, want: false, field: "data.customer.$or"},
	{name: "or nested", pattern: `{"type":["Order Created"],"$or":[{"source":["x"]},{"subject":["order/42"],"$or":[{"data":{"status":["x"]}},{"data":{"tags":["vip"]}}]}]}`, want: true},
	{name: "or nested none", pattern: `{"$or":[{"source":["x"]},{"subject":["order/42"],"$or":[{"data":{"status":["x"]}},{"data":{"tags":["old"]}}]}]}`, want: false},
	{name: "or and outer fails", pattern: `{"type":["nope"],"$or":[{"source":["shop/orders"]},{"subject":["x"]}]}`, want: false, field: "type"},
	// escapes
	{name: "pattern surrogate pair escape", pattern: `{"data":{"emoji":["\ud83d\ude00"]}}`, want: true},
	{name: "payload escapes", pattern: `{"data":{"a/b":["A\"B"]}}`, data: `{"a\/b":"\u0041\"\u0042"}`, want: true},
	{name: "payload escaped key", pattern: `{"data":{"ab":[1]}}`, data: `{"\u0061b":1}`, want: true},
	{name: "payload number forms", pattern: `{"data":{"a":[100],"b":[0]}}`, data: `{"a":1E2,"b":-0}`, want: true},
	{name: "payload number beyond float64", pattern: `{"data":{"a":[{"numeric":[">",1e300]}]}}`, data: `{"a":1e400}`, want: true},
	// YAML
	{name: "yaml pattern", pattern: "type: [Order Created]\ndata:\n  total: [300]\n  tags: [vip]\n", want: true},
	{name: "yaml quoted number is a string", pattern: "data:\n  total: ['300']\n", want: false},
	{name: "yaml tagged string", pattern: "data:\n  numstr: [!!str 150]\n", want: true},
	{name: "yaml scalars", pattern: "data:\n  flag: [yes, true]\n  total: [0x12c]\n  none: [~]\n", want: true},
}

func (c matchCase) event() *pattern.Event {
	attrs := c.attrs
	if attrs == nil {
		attrs = order
	}
	data := c.data
	switch data {
	case "":
		data = orderData
	case "-":
		data = ""
	}
	return newEvent(attrs, data)
}

// TestMatch checks every case, that Explain agrees with Match, and that Explain names
// the failing field where the case says which.
func TestMatch(t *testing.T) {
	if len(matchCases) < 60 {
		t.Fatalf("only %d cases", len(matchCases))
	}
	for _, c := range matchCases {
		t.Run(c.name, func(t *testing.T) {
			p, probs := pattern.Parse([]byte(c.pattern))
			if len(probs) > 0 {
				t.Fatalf("Parse(%s): %v", c.pattern, probs)
			}
			ev := c.event()
			defer ev.Release()
			if got := p.Match(ev); got != c.want {
				t.Errorf("Match(%s) = %v, want %v", c.pattern, got, c.want)
			}
			matched, field, why := p.Explain(ev)
			if matched != c.want {
				t.Errorf("Explain(%s) matched = %v, want %v", c.pattern, matched, c.want)
			}
			if matched && (field != "" || why != "") {
				t.Errorf("Explain on a match gave %q, %q", field, why)
			}
			if !matched && (field == "" || why == "") {
				t.Errorf("Explain on a failure gave field %q, why %q", field, why)
			}
			if c.field != "" && field != c.field {
				t.Errorf("Explain field = %q (%s), want %q", field, why, c.field)
			}
			// the canonical form compiles to a pattern that matches the same
			q, probs := pattern.Parse([]byte(p.String()))
			if len(probs) > 0 {
				t.Fatalf("Parse(String() = %s): %v", p.String(), probs)
			}
			if q.String() != p.String() {
				t.Errorf("String round trip: %s then %s", p.String(), q.String())
			}
			if q.Match(ev) != c.want {
				t.Errorf("the canonical pattern %s does not match the same", p.String())
			}
		})
	}
}

// TestExplainWhy checks the wording of a failure.
func TestExplainWhy(t *testing.T) {
	p, probs := pattern.Parse([]byte(`{"type":["Order Created","Order Completed"]}`))
	if probs != nil {
		t.Fatal(probs)
	}
	matched, field, why := p.Explain(newEvent(map[string]string{"type": "Order Shipped"}, ""))
	want := `"Order Shipped" is not one of ["Order Created","Order Completed"]`
	if matched || field != "type" || why != want {
		t.Errorf("Explain = %v, %q, %q; want false, type, %q", matched, field, why, want)
	}
	_, field, why = p.Explain(newEvent(map[string]string{"source": "x"}, ""))
	if field != "type" || !strings.Contains(why, "missing") {
		t.Errorf("Explain of a missing type = %q, %q", field, why)
	}
	p, _ = pattern.Parse([]byte(`{"data":{"items":{"item_id":["c"]}}}`))
	_, field, why = p.Explain(newEvent(nil, orderData))
	if field != "data.items.item_id" || !strings.Contains(why, `"a"`) || !strings.Contains(why, `"b"`) {
		t.Errorf("Explain over an array of objects = %q, %q", field, why)
	}
}

// TestIDFallback checks that the id attribute falls back to Event.ID.
func TestIDFallback(t *testing.T) {
	p, _ := pattern.Parse([]byte(`{"id":["m-1"]}`))
	ev := &pattern.Event{Metadata: map[string]string{}, ID: "m-1"}
	if !p.Match(ev) {
		t.Error("the message UUID is not the id")
	}
	ev.Metadata[metadata.KeyID] = "e-9"
	if p.Match(ev) {
		t.Error("ce_id does not take precedence over the message UUID")
	}
}

// TestFieldsAndUsesData checks the introspection of a compiled pattern.
func TestFieldsAndUsesData(t *testing.T) {
	p, probs := pattern.Parse([]byte(`{"type":["a"],"source":["b"],"$or":[{"type":["c"]},{"data":{"items":{"item_id":["x"]}}}]}`))
	if probs != nil {
		t.Fatal(probs)
	}
	got := strings.Join(p.Fields(), ",")
	if got != "data.items.item_id,source,type" {
		t.Errorf("Fields = %s", got)
	}
	if !p.UsesData() {
		t.Error("UsesData is false for a pattern with data inside $or")
	}
	p, _ = pattern.Parse([]byte(`{"type":["a"],"$or":[{"type":["c"]},{"source":["x"]}]}`))
	if p.UsesData() {
		t.Error("UsesData is true for an attribute-only pattern")
	}
}

// TestEventReuse checks that an Event released and given new Data is parsed again.
func TestEventReuse(t *testing.T) {
	p, _ := pattern.Parse([]byte(`{"data":{"n":[1]}}`))
	ev := &pattern.Event{Data: []byte(`{"n":1}`)}
	if !p.Match(ev) {
		t.Fatal("no match on n=1")
	}
	ev.Release()
	ev.Data = []byte(`{"n":2}`)
	if p.Match(ev) {
		t.Error("a released Event kept its old payload")
	}
	ev.Release()
}
