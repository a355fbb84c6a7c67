package pattern_test

import (
	"fmt"

	"github.com/millrace/millrace/topology/pattern"
)

// A pattern over the type attribute and two payload fields, matched against an event
// and explained when it does not match.
func Example() {
	p, problems := pattern.Parse([]byte(`
type: ["Order Created", "Order Completed"]
data:
  total: [{numeric: [">", 100]}]
  items:
    sku: [{prefix: "BK-"}]
`))
	if problems != nil {
		fmt.Println(problems)
		return
	}
	fmt.Println(p)
	fmt.Println(p.Fields(), p.UsesData())

	ev := &pattern.Event{
		Metadata: map[string]string{"ce_type": "Order Created"},
		Data:     []byte(`{"total": 120.5, "items": [{"sku": "CD-1"}, {"sku": "BK-7"}]}`),
	}
	fmt.Println(p.Match(ev))
	ev.Release()

	ev.Metadata["ce_type"] = "Order Shipped"
	fmt.Println(p.Explain(ev))
	// Output:
	// {"data":{"items":{"sku":[{"prefix":"BK-"}]},"total":[{"numeric":[">",100]}]},"type":["Order Created","Order Completed"]}
	// [data.items.sku data.total type] true
	// true
	// false type "Order Shipped" is not one of ["Order Created","Order Completed"]
}

// Every problem of an invalid pattern is reported with its position.
func ExampleParse_problems() {
	_, problems := pattern.Parse([]byte(`{
  "detail-type": ["Order Created"],
  "data": {
    "quantity": [{"numeric": [">", 10, "<=", 5]}],
    "sku": "BK-1"
  }
}`))
	for _, p := range problems {
		fmt.Println(p)
	}
	// Output:
	// 2:3: detail-type: write "type" (the CloudEvents type attribute) instead of "detail-type"
	// 4:30: data.quantity: numeric: empty range: the lower bound 10 is not below the upper bound 5
	// 5:12: data.sku: a field's values are a list (such as ["BK-1"]), got the string "BK-1"
}
