package memory_test

import (
	"testing"

	"github.com/millrace/millrace/internal/transport/memory"
	"github.com/millrace/millrace/internal/transport/transporttest"
)

func TestSettingsDefaults(t *testing.T) {
	got, ok := transporttest.Parse(t, "mem", `{kind: gochannel}`).Settings.(*memory.Settings)
	if !ok || got.Buffer != 256 {
		t.Fatalf("settings = %#v, want buffer 256", got)
	}
	if s := got.String(); s != "buffer=256" {
		t.Errorf("String() = %q", s)
	}
}
