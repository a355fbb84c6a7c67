package service

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/internal/logging"
	"github.com/millrace/millrace/internal/server"
)

// Environment variables of the common settings (config.EnvTopology names the topology).
const (
	EnvHTTPAddr        = "MILLRACE_HTTP_ADDR"
	EnvLogLevel        = "MILLRACE_LOG_LEVEL"
	EnvShutdownTimeout = "MILLRACE_SHUTDOWN_TIMEOUT"
)

// Settings are what every binary sets the same way: the flags -topology, -http-addr,
// -log-level and -shutdown-timeout, else their environment variables, else defaults.
type Settings struct {
	// Topology is the profile name or YAML file (MILLRACE_TOPOLOGY).
	Topology config.Source
	// HTTPAddr is the address of the HTTP server, which also serves /metrics, /healthz
	// and /readyz (MILLRACE_HTTP_ADDR).
	HTTPAddr string
	// LogLevel is the lowest level logged (MILLRACE_LOG_LEVEL, default info).
	LogLevel slog.Level
	// ShutdownTimeout bounds each step of a graceful shutdown: the HTTP requests in
	// flight, then the handlers in flight (MILLRACE_SHUTDOWN_TIMEOUT, default 15s).
	ShutdownTimeout time.Duration
}

// Defaults are one binary's defaults of Settings.
type Defaults struct {
	// Topology when neither flag nor environment names one (default
	// config.DefaultProfile).
	Topology config.Source
	// HTTPAddr when neither flag nor environment sets it. Required.
	HTTPAddr string
}

// Flags are the command-line flags of Settings, registered on one flag set.
type Flags struct {
	fs       *flag.FlagSet
	defaults Defaults
}

// RegisterFlags adds -topology, -http-addr, -log-level and -shutdown-timeout to fs.
// Call Resolve once fs is parsed.
func RegisterFlags(fs *flag.FlagSet, d Defaults) *Flags {
	f := &Flags{fs: fs, defaults: d}
	fs.String("topology", "", fmt.Sprintf("topology profile name or YAML file (%s; default %s)", config.EnvTopology, config.SourceOf("", nil, d.Topology)))
	fs.String("http-addr", "", fmt.Sprintf("HTTP listen address (%s; default %s)", EnvHTTPAddr, d.HTTPAddr))
	fs.String("log-level", "", fmt.Sprintf("debug, info, warn or error (%s; default info)", EnvLogLevel))
	fs.Duration("shutdown-timeout", 0, fmt.Sprintf("bound of each graceful shutdown step (%s; default %s)", EnvShutdownTimeout, server.DefaultShutdownTimeout))
	return f
}

// Resolve returns the settings: each flag given on the command line, else its
// environment variable read through getenv, else the default. It reports every
// malformed value.
func (f *Flags) Resolve(getenv func(string) string) (Settings, error) {
	given := map[string]string{}
	f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = fl.Value.String() })
	return resolve(given, getenv, f.defaults)
}

// FromEnv returns the settings of a binary or command that has no flags for them: each
// environment variable read through getenv, else the default.
func FromEnv(getenv func(string) string, d Defaults) (Settings, error) {
	return resolve(nil, getenv, d)
}

// resolve picks each setting from the flags given (by name), else the environment,
// else d.
func resolve(given map[string]string, getenv func(string) string, d Defaults) (Settings, error) {
	value := func(name, env, def string) string {
		if v, ok := given[name]; ok {
			return v
		}
		if v := strings.TrimSpace(getenv(env)); v != "" {
			return v
		}
		return def
	}
	s := Settings{
		Topology:        config.SourceOf(given["topology"], getenv, d.Topology),
		HTTPAddr:        value("http-addr", EnvHTTPAddr, d.HTTPAddr),
		ShutdownTimeout: server.DefaultShutdownTimeout,
	}
	var errs []error
	if v := value("log-level", EnvLogLevel, "info"); s.LogLevel.UnmarshalText([]byte(v)) != nil {
		errs = append(errs, fmt.Errorf("log level %q: want debug, info, warn or error", v))
	}
	if v := value("shutdown-timeout", EnvShutdownTimeout, ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("shutdown timeout %q (%s): want a positive duration such as 15s", v, EnvShutdownTimeout))
		} else {
			s.ShutdownTimeout = d
		}
	}
	return s, errors.Join(errs...)
}

// Logger returns the service logger writing to w at the settings' level.
func (s Settings) Logger(w io.Writer) (*slog.Logger, error) {
	logger, err := logging.New(w, logging.Options{Level: s.LogLevel})
	if err != nil {
		return nil, fmt.Errorf("logger: %w", err)
	}
	return logger, nil
}
