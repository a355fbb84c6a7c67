package service_test

import (
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/internal/server"
	"github.com/millrace/millrace/internal/service"
)

// TestFlagsResolve checks the order flag, then environment, then default.
func TestFlagsResolve(t *testing.T) {
	env := map[string]string{
		config.EnvTopology:         "redis",
		service.EnvHTTPAddr:        ":9000",
		service.EnvLogLevel:        "warn",
		service.EnvShutdownTimeout: "3s",
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want service.Settings
	}{
		{"defaults", nil, nil, service.Settings{Topology: "postgres", HTTPAddr: ":8081", LogLevel: slog.LevelInfo, ShutdownTimeout: server.DefaultShutdownTimeout}},
		{"environment", nil, env, service.Settings{Topology: "redis", HTTPAddr: ":9000", LogLevel: slog.LevelWarn, ShutdownTimeout: 3 * time.Second}},
		{"flags", []string{"-topology", "local", "-http-addr", ":0", "-log-level", "debug", "-shutdown-timeout", "1s"}, env,
			service.Settings{Topology: "local", HTTPAddr: ":0", LogLevel: slog.LevelDebug, ShutdownTimeout: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			f := service.RegisterFlags(fs, service.Defaults{Topology: "postgres", HTTPAddr: ":8081"})
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			got, err := f.Resolve(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestFlagsResolveReportsEveryProblem checks that malformed values are all reported.
func TestFlagsResolveReportsEveryProblem(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := service.RegisterFlags(fs, service.Defaults{HTTPAddr: ":8081"})
	if err := fs.Parse([]string{"-log-level", "loud"}); err != nil {
		t.Fatal(err)
	}
	_, err := f.Resolve(func(k string) string {
		if k == service.EnvShutdownTimeout {
			return "soon"
		}
		return ""
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"log level", "shutdown timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
