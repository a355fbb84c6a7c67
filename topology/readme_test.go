package topology_test

import (
	"os"
	"strings"
	"testing"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/topology"
	"github.com/millrace/millrace/topology/pattern"
)

// readmeBlock returns the fenced block that follows marker in README.md.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), marker+"\n")
	if !ok {
		t.Fatalf("README.md has no %s block", marker)
	}
	_, body, ok := strings.Cut(rest, "```yaml\n")
	if !ok {
		t.Fatalf("README.md: no yaml block after %s", marker)
	}
	body, _, ok = strings.Cut(body, "```")
	if !ok {
		t.Fatalf("README.md: unclosed yaml block after %s", marker)
	}
	return body
}

// TestReadmeAWSRules loads the README's four rules of the AWS stack and checks that each
// event of the stack goes to its processor and to no other, and that other events go
// nowhere.
func TestReadmeAWSRules(t *testing.T) {
	tp, err := topology.Parse("README.md", []byte(readmeBlock(t, "<!-- aws-rules -->")))
	if err != nil {
		t.Fatalf("the README's rules do not load:\n%v", err)
	}
	cases := []struct{ source, typ, want string }{
		{"orders", "Order Created", "order-processor"},
		{"orders", "Order Completed", "order-processor"},
		{"inventory", "Inventory Updated", "inventory-processor"},
		{"notifications", "Notification Sent", "notification-processor"},
		{"workflow", "Workflow Triggered", "workflow"},
		{"orders", "Order Shipped", ""},
		{"orders", "order created", ""},
		{"inventory", "Order Created", ""},
		{"billing", "Workflow Triggered", ""},
	}
	for _, c := range cases {
		ev := &pattern.Event{Metadata: map[string]string{
			metadata.KeySpecVersion: metadata.SpecVersion,
			metadata.KeySource:      c.source,
			metadata.KeyType:        c.typ,
		}, ID: "e1", Data: []byte(`{"order_id": "o1"}`)}
		var got []string
		for _, h := range tp.Handlers {
			if h.Filter == nil {
				t.Fatalf("handler %s has no filter", h.Name)
			}
			if h.Filter.Match(ev) {
				got = append(got, h.Name)
			}
		}
		ev.Release()
		if strings.Join(got, ",") != c.want {
			t.Errorf("%s / %s goes to [%s], want [%s]", c.source, c.typ, strings.Join(got, ","), c.want)
		}
	}
	h, _ := tp.Handler("order-processor")
	if h.Policy.Retry.MaxAttempts != 3 || h.Policy.Timeout.Seconds() != 30 || h.PoisonTopicFor("events") != "events.order-processor.dlq" {
		t.Errorf("order-processor policy %+v, poison %q: want 3 attempts, 30s, events.order-processor.dlq", h.Policy, h.PoisonTopicFor("events"))
	}
}
