package pattern_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/millrace/millrace/topology/pattern"
)

// attr1 and attr5 are attribute-only patterns of one and five fields.
const (
	attr1 = `{"type":[{"prefix":"Order "}]}`
	attr5 = `{"type":[{"prefix":"Order "}],"source":[{"wildcard":"shop/*"}],"subject":[{"anything-but":["order/1","order/2"]}],` +
		`"ip":[{"cidr":"10.0.0.0/8"}],"datacontenttype":[{"equals-ignore-case":"APPLICATION/JSON"}]}`
	data5 = `{"type":["Order Created"],"data":{"status":["paid"],"customer":{"address":{"city":[{"prefix":"Par"}]}},` +
		`"count":[{"numeric":[">",0,"<=",10]}],"items":{"item_id":["b"]},"source_ip":[{"cidr":"192.168.0.0/16"}]}}`
)

func mustParse(tb testing.TB, s string) *pattern.Pattern {
	tb.Helper()
	p, probs := pattern.Parse([]byte(s))
	if len(probs) > 0 {
		tb.Fatalf("Parse(%s): %v", s, probs)
	}
	return p
}

// kibData is a payload of about 1 KiB holding the fields data5 names.
var kibData = func() string {
	var b strings.Builder
	b.WriteString(`{"order_id":"o-42","status":"paid","count":5,"source_ip":"192.168.1.20",`)
	b.WriteString(`"customer":{"name":"Ada Lovelace","email":"ada@example.com","address":{"street":"1 Rue de Rivoli","city":"Paris","zip":"75001"}},`)
	b.WriteString(`"items":[`)
	for i := 0; i < 8; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"item_id":"%c","qty":%d,"price":%d.99,"title":"Item number %d of the order"}`, 'a'+i, i+1, 10*i, i)
	}
	b.WriteString(`],"notes":"` + strings.Repeat("x", 1024-b.Len()-len(`"}`)-len(`"notes":"`)+8) + `"}`)
	return b.String()
}()

// TestAttributeMatchDoesNotAllocate checks that attribute-only patterns match with no
// allocation and never look at the payload.
func TestAttributeMatchDoesNotAllocate(t *testing.T) {
	ev := newEvent(order, "this is not JSON and would fail any parse")
	for name, src := range map[string]string{"attr-1": attr1, "attr-5": attr5} {
		p := mustParse(t, src)
		if p.UsesData() {
			t.Fatalf("%s uses data", name)
		}
		if !p.Match(ev) {
			t.Fatalf("%s does not match", name)
		}
		if n := testing.AllocsPerRun(1000, func() { p.Match(ev) }); n != 0 {
			t.Errorf("%s: %v allocations per Match", name, n)
		}
	}
	ev.Data = nil // a pattern that does not name data must not need it
	if !mustParse(t, attr5).Match(ev) {
		t.Error("attr-5 needs the payload")
	}
}

// TestDataMatchParsesOnce checks that matching several data patterns against one
// Event allocates nothing after the first parse (the tree is shared).
func TestDataMatchParsesOnce(t *testing.T) {
	p := mustParse(t, data5)
	ev := newEvent(order, kibData)
	if !p.Match(ev) {
		t.Fatal("data-5 does not match the 1 KiB event")
	}
	if n := testing.AllocsPerRun(1000, func() { p.Match(ev) }); n != 0 {
		t.Errorf("%v allocations per Match on an already parsed Event", n)
	}
	ev.Release()
}

// filters50 is 50 different patterns, half of them on data.
func filters50(tb testing.TB) []*pattern.Pattern {
	var ps []*pattern.Pattern
	for i := 0; i < 25; i++ {
		ps = append(ps, mustParse(tb, fmt.Sprintf(`{"type":[{"prefix":"Order %d"}],"source":["shop/orders"]}`, i)))
		ps = append(ps, mustParse(tb, fmt.Sprintf(`{"source":["shop/orders"],"data":{"count":[{"numeric":[">",%d]}],"items":{"item_id":["%c"]}}}`, i, 'a'+i%10)))
	}
	return ps
}

func BenchmarkMatch(b *testing.B) {
	b.Run("attr-1", func(b *testing.B) {
		p := mustParse(b, attr1)
		ev := newEvent(order, kibData)
		b.ReportAllocs()
		for b.Loop() {
			if !p.Match(ev) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("attr-5", func(b *testing.B) {
		p := mustParse(b, attr5)
		ev := newEvent(order, kibData)
		b.ReportAllocs()
		for b.Loop() {
			if !p.Match(ev) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("data-5-1KiB", func(b *testing.B) {
		p := mustParse(b, data5)
		md := newEvent(order, "").Metadata
		data := []byte(kibData)
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			ev := pattern.Event{Metadata: md, Data: data}
			if !p.Match(&ev) {
				b.Fatal("no match")
			}
			ev.Release()
		}
	})
	b.Run("filters-50", func(b *testing.B) {
		ps := filters50(b)
		md := newEvent(order, "").Metadata
		data := []byte(kibData)
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			ev := pattern.Event{Metadata: md, Data: data}
			for _, p := range ps {
				if p.Match(&ev) {
					n++
				}
			}
			ev.Release()
		}
		if n == 0 {
			b.Fatal("no filter matched")
		}
	})
}
