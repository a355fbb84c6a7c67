package topology_test

import (
	"testing"

	"github.com/millrace/millrace/topology"
)

// TestTrace checks that the trace section names its sql store, and that a topology
// without one has no delivery log.
func TestTrace(t *testing.T) {
	with, err := topology.ParseWithEnv("t.yaml", []byte(withBase("  a.b: {transport: mem}", "trace: {store: pg}")), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if with.Trace == nil || with.Trace.Store != "pg" || with.Trace.Pos != (topology.Pos{Line: 8, Col: 1}) {
		t.Errorf("Trace = %+v, want store pg at 8:1", with.Trace)
	}
	without, err := topology.ParseWithEnv("t.yaml", []byte(withBase("  a.b: {transport: mem}")), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if without.Trace != nil {
		t.Errorf("Trace = %+v, want nil without a trace section", without.Trace)
	}
}
