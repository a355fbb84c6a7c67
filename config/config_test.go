package config_test

import (
	"testing"

	"github.com/millrace/millrace/config"
)

func TestSourceOf(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == config.EnvTopology {
				return v
			}
			return ""
		}
	}
	for _, c := range []struct {
		flag, env string
		def, want config.Source
	}{
		{"", "", "", config.DefaultProfile},
		{"", "", "redis", "redis"},
		{"", "postgres", "redis", "postgres"},
		{"./t.yaml", "postgres", "redis", "./t.yaml"},
	} {
		if got := config.SourceOf(c.flag, env(c.env), c.def); got != c.want {
			t.Errorf("SourceOf(%q, env %q, %q) = %q, want %q", c.flag, c.env, c.def, got, c.want)
		}
	}
	if got := config.SourceOf("", nil, ""); got != config.DefaultProfile {
		t.Errorf("SourceOf with no getenv = %q, want %q", got, config.DefaultProfile)
	}
}
