package deliverylog_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/internal/deliverylog/logtest"
)

// clock matches the time WriteText prints at the end of a message line.
var clock = regexp.MustCompile(`\d\d:\d\d:\d\d\.\d{3}$`)

// TestRouterFlow runs A -> B -> C through a router on the in-memory transport, the
// handler of A failing once, and checks the tree the log gives back.
func TestRouterFlow(t *testing.T) {
	t.Parallel()
	topo, _ := logtest.Topology(t, t.TempDir())
	id := logtest.Flow(t, topo)

	dl, err := deliverylog.Open(context.Background(), deliverylog.Config{Topology: topo})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dl.Close() })
	tree, err := dl.Tree(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := deliverylog.WriteText(&buf, tree, time.UTC); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	for i, l := range got {
		got[i] = clock.ReplaceAllString(l, "T")
	}
	want := []string{
		"flow.a v1 (topic flow.a via mem) T",
		"  └ handle-a: ok after 1 retry",
		"    └ flow.b v1 (topic flow.b via mem) T",
		"      └ handle-b: ok",
		"        └ flow.c v2 (topic flow.c via mem) T",
		"          └ handle-c: ok",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	a := tree.Messages[0]
	b := a.Children[0]
	c := b.Children[0]
	if b.CausationID != a.ID || c.CausationID != b.ID {
		t.Errorf("causation ids: b %s (a is %s), c %s (b is %s)", b.CausationID, a.ID, c.CausationID, b.ID)
	}
	if b.PublishedBy != "handle-a" || c.PublishedBy != "handle-b" {
		t.Errorf("published by: b %q, c %q", b.PublishedBy, c.PublishedBy)
	}
	if a.Outcomes[0].Attempts != 2 {
		t.Errorf("handle-a attempts = %d, want 2", a.Outcomes[0].Attempts)
	}
	if !(a.Time.Before(b.Time) || a.Time.Equal(b.Time)) || c.Time.Before(b.Time) {
		t.Errorf("times out of order: a %v, b %v, c %v", a.Time, b.Time, c.Time)
	}
	if n := dl.Dropped(); n != 0 {
		t.Errorf("Dropped = %d", n)
	}
}
