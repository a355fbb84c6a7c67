package pattern

import (
	"strings"

	"github.com/valyala/fastjson"
)

// Explain matches ev like Match and, when it does not match, says why: field is the
// first field that failed (a dotted name such as "type" or "data.items.item_id", or
// "$or"/"data.x.$or" when no branch of an $or matched) and why describes the failure,
// such as `"Order Shipped" is not one of ["Order Created","Order Completed"]`.
// When ev matches, field and why are empty.
func (p *Pattern) Explain(ev *Event) (matched bool, field, why string) {
	return p.root.explain(ev)
}

func (g *group) explain(ev *Event) (bool, string, string) {
	for _, f := range g.fields {
		if !f.match(ev) {
			return false, f.path, f.why(ev)
		}
	}
	for _, o := range g.ors {
		if !o.match(ev) {
			name := "$or"
			if o.path != "" {
				name = o.path + ".$or"
			}
			var parts []string
			for _, b := range o.branches {
				_, f, w := b.explain(ev)
				parts = append(parts, f+": "+w)
			}
			return false, name, "no branch matched: " + strings.Join(parts, "; ")
		}
	}
	return true, "", ""
}

// why describes why f did not match ev.
func (f *field) why(ev *Event) string {
	var vals []string
	if f.attr {
		if s, ok := ev.attr(f.key, f.isID); ok {
			vals = append(vals, quote(s))
		}
	} else if root := ev.payload(); root != nil {
		vals = collect(root, f.segs, vals)
	}
	want := string(appendLeaf(nil, f.matchers))
	if len(vals) == 0 {
		return "is missing; the pattern wants " + want
	}
	if f.exists == -1 && len(f.matchers) == 1 {
		return joinValues(vals) + " is present; the pattern wants the field absent"
	}
	verb := " does not match "
	if isExactList(f.matchers) {
		verb = " is not one of "
	}
	if len(vals) == 1 {
		return vals[0] + verb + want
	}
	return "none of " + joinValues(vals) + " matches " + want
}

// collect appends the JSON of the leaf values reached from v along segs (see
// scan.walk).
func collect(v *fastjson.Value, segs []string, out []string) []string {
	switch v.Type() {
	case fastjson.TypeArray:
		arr, _ := v.Array()
		for _, e := range arr {
			out = collect(e, segs, out)
		}
		return out
	case fastjson.TypeObject:
		if len(segs) == 0 {
			return out
		}
		o, _ := v.Object()
		if c := o.Get(segs[0]); c != nil {
			return collect(c, segs[1:], out)
		}
		return out
	}
	if len(segs) != 0 {
		return out
	}
	return append(out, string(appendValue(nil, v)))
}
