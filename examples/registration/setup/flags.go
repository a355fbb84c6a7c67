package setup

import (
	"flag"
)

// RegisterFlags adds the flags of the registration settings named (database-dsn,
// smtp-addr, from, public-url, outbox-poll, outbox-in-flight, token-ttl) to fs, with s's
// current values as defaults: read them from the environment first with FromEnv. The
// flags every binary shares (topology, http-addr, log-level, shutdown-timeout) are
// service.RegisterFlags'.
func (s *Settings) RegisterFlags(fs *flag.FlagSet, names ...string) {
	all := map[string]func(){
		"database-dsn": func() {
			fs.StringVar(&s.DatabaseDSN, "database-dsn", s.DatabaseDSN, "users database DSN (MILLRACE_DATABASE_DSN; default: the outbox transport's)")
		},
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
		"token-ttl": func() {
			fs.DurationVar(&s.TokenTTL, "token-ttl", s.TokenTTL, "verification link lifetime (MILLRACE_TOKEN_TTL)")
		},
	}
	for _, n := range names {
		if add, ok := all[n]; ok {
			add()
		}
	}
}
