package registration

import (
	"flag"
)

// Flags are the command-line settings shared by cmd/users, cmd/mailer and the demo.
type Flags struct {
	Topology string
	LogLevel string
}

// RegisterFlags adds the flags of s to fs, with s's current values as defaults (read
// them from the environment first with FromEnv), and returns the flags that are not
// part of Settings. Which flags a binary registers is chosen by names.
func (s *Settings) RegisterFlags(fs *flag.FlagSet, getenv func(string) string, names ...string) *Flags {
	f := &Flags{Topology: or(getenv("MILLRACE_TOPOLOGY"), "local"), LogLevel: or(getenv("MILLRACE_LOG_LEVEL"), "info")}
	all := map[string]func(){
		"topology": func() {
			fs.StringVar(&f.Topology, "topology", f.Topology, "topology profile name or YAML file (MILLRACE_TOPOLOGY)")
		},
		"log-level": func() {
			fs.StringVar(&f.LogLevel, "log-level", f.LogLevel, "debug, info, warn or error (MILLRACE_LOG_LEVEL)")
		},
		"database-dsn": func() {
			fs.StringVar(&s.DatabaseDSN, "database-dsn", s.DatabaseDSN, "users database DSN (MILLRACE_DATABASE_DSN; default: the outbox transport's)")
		},
		"http-addr": func() { fs.StringVar(&s.HTTPAddr, "http-addr", s.HTTPAddr, "HTTP listen address (MILLRACE_HTTP_ADDR)") },
		"smtp-addr": func() {
			fs.StringVar(&s.SMTPAddr, "smtp-addr", s.SMTPAddr, "SMTP server host:port (MILLRACE_SMTP_ADDR)")
		},
		"from": func() { fs.StringVar(&s.From, "from", s.From, "sender address of emails (MILLRACE_MAIL_FROM)") },
		"public-url": func() {
			fs.StringVar(&s.PublicURL, "public-url", s.PublicURL, "base URL of verification links (MILLRACE_PUBLIC_URL; default: the users service's address)")
		},
		"outbox-poll": func() {
			fs.DurationVar(&s.OutboxPoll, "outbox-poll", s.OutboxPoll, "outbox relay poll interval (MILLRACE_OUTBOX_POLL_INTERVAL)")
		},
		"outbox-in-flight": func() {
			fs.IntVar(&s.OutboxInFlight, "outbox-in-flight", s.OutboxInFlight, "events the outbox relay may publish at once; 1 keeps commit order (MILLRACE_OUTBOX_IN_FLIGHT)")
		},
		"shutdown-timeout": func() {
			fs.DurationVar(&s.ShutdownTimeout, "shutdown-timeout", s.ShutdownTimeout, "bound of each graceful shutdown step (MILLRACE_SHUTDOWN_TIMEOUT)")
		},
		"token-ttl": func() {
			fs.DurationVar(&s.TokenTTL, "token-ttl", s.TokenTTL, "verification link lifetime (MILLRACE_TOKEN_TTL)")
		},
	}
	for _, n := range names {
		if add, ok := all[n]; ok {
			add()
		}
	}
	return f
}
