package cli

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/internal/deliverylog/logtest"
)

// timeOfDay matches the publish time at the end of a message line.
var timeOfDay = regexp.MustCompile(`\d\d:\d\d:\d\d\.\d{3}$`)

// TestTrace runs the A -> B -> C flow through a router that records it, then prints
// its tree with millrace trace in text and JSON.
func TestTrace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	topo, src := logtest.Topology(t, dir)
	id := logtest.Flow(t, topo)
	file := writeFile(t, "topology.yaml", src)

	code, stdout, stderr := runCLI(t, "trace", id, "--topology", file)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	for i, l := range got {
		got[i] = timeOfDay.ReplaceAllString(l, "T")
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
		t.Errorf("stdout:\n%s\nwant (times as T):\n%s", stdout, strings.Join(want, "\n"))
	}

	code, stdout, stderr = runCLI(t, "trace", id, "--topology", file, "--format", "json")
	if code != ExitOK {
		t.Fatalf("json: exit %d, stderr:\n%s", code, stderr)
	}
	var tree deliverylog.Tree
	if err := json.Unmarshal([]byte(stdout), &tree); err != nil {
		t.Fatalf("json output: %v\n%s", err, stdout)
	}
	if tree.CorrelationID != id || len(tree.Messages) != 1 || tree.Messages[0].Type != "flow.a.v1" ||
		len(tree.Messages[0].Children) != 1 || len(tree.Messages[0].Children[0].Children) != 1 {
		t.Errorf("json tree: %s", stdout)
	}
	if a := tree.Messages[0]; time.Since(a.Time) > time.Hour || a.Time.After(time.Now()) {
		t.Errorf("root time %v is not the publish time", a.Time)
	}
}

// TestTraceFailures exits 1 for an unknown id and for a topology without a trace store,
// and 2 for a bad format.
func TestTraceFailures(t *testing.T) {
	t.Parallel()
	topo, src := logtest.Topology(t, t.TempDir())
	file := writeFile(t, "topology.yaml", src)
	code, _, stderr := runCLI(t, "trace", "no-such-id", "--topology", file)
	if code != ExitFailure || !strings.Contains(stderr, "no service has run on it here") {
		t.Errorf("store file not created yet: exit %d, stderr %q", code, stderr)
	}
	dl, err := deliverylog.Open(context.Background(), deliverylog.Config{Topology: topo})
	if err != nil {
		t.Fatal(err)
	}
	if err := dl.Close(); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "trace", "no-such-id", "--topology", file)
	if code != ExitFailure || !strings.Contains(stderr, "no message of correlation id no-such-id") {
		t.Errorf("unknown id: exit %d, stderr %q", code, stderr)
	}

	noStore := writeFile(t, "plain.yaml", "version: 1\ntransports:\n  mem: {kind: gochannel}\ntopics:\n  a: {transport: mem}\n")
	code, _, stderr = runCLI(t, "trace", "x", "--topology", noStore)
	if code != ExitFailure || !strings.Contains(stderr, "no trace store") {
		t.Errorf("no store: exit %d, stderr %q", code, stderr)
	}

	code, _, _ = runCLI(t, "trace", "x", "--topology", file, "--format", "yaml")
	if code != ExitUsage {
		t.Errorf("bad format: exit %d, want %d", code, ExitUsage)
	}
}
