package setup

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/internal/outbox"
	"github.com/millrace/millrace/internal/service"
	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/topology"
)

// Defaults of Settings.
const (
	DefaultHTTPAddr = ":8081"
	// DefaultMailerHTTPAddr is the address of the mailer's metrics and health server.
	DefaultMailerHTTPAddr = ":8082"
	DefaultSMTPAddr       = "127.0.0.1:1025"
	DefaultFrom           = "millrace <no-reply@millrace.localhost>"
)

// Settings are the knobs of the registration services. Each has an environment
// variable; the README of examples/registration documents them.
type Settings struct {
	// DatabaseDSN is the users database (MILLRACE_DATABASE_DSN). Empty: the DSN of the
	// outbox transport the topology gives users.registered.
	DatabaseDSN string
	// HTTPAddr is the users API address, or the mailer's metrics and health address
	// (service.Settings.HTTPAddr: MILLRACE_HTTP_ADDR, default :8081; cmd/mailer
	// defaults to :8082).
	HTTPAddr string
	// SMTPAddr is the SMTP server (MILLRACE_SMTP_ADDR, default 127.0.0.1:1025).
	SMTPAddr string
	// From is the sender address of emails (MILLRACE_MAIL_FROM).
	From string
	// PublicURL is the base URL verification links point to (MILLRACE_PUBLIC_URL).
	// Empty: the users service's address, BaseURL of the address it listens on when it
	// runs in the same process (registration.Build), else of DefaultHTTPAddr.
	PublicURL string
	// TopicPrefix is put before every event topic (MILLRACE_TOPIC_PREFIX, default none).
	TopicPrefix string
	// OutboxTopic is the forwarder topic, the outbox table watermill_<topic>
	// (MILLRACE_OUTBOX_TOPIC, default "outbox").
	OutboxTopic string
	// OutboxPoll is how often the idle relay polls the outbox
	// (MILLRACE_OUTBOX_POLL_INTERVAL, default 10ms); it bounds commit-to-relay latency.
	OutboxPoll time.Duration
	// OutboxInFlight is how many events the relay may be publishing at once
	// (MILLRACE_OUTBOX_IN_FLIGHT, default 16); 1 relays them in commit order.
	OutboxInFlight int
	// TokenTTL is how long a verification link is valid (MILLRACE_TOKEN_TTL, default 24h).
	TokenTTL time.Duration
	// Argon2 are the password hash costs (default users.DefaultArgon2).
	Argon2 account.Argon2Params
	// ShutdownTimeout bounds each step of a graceful shutdown: the HTTP requests in
	// flight, then the handlers in flight (service.Settings.ShutdownTimeout:
	// MILLRACE_SHUTDOWN_TIMEOUT, default 15s).
	ShutdownTimeout time.Duration
}

// FromEnv reads Settings from the environment through getenv, with defaults for what
// is unset.
func FromEnv(getenv func(string) string) (Settings, error) {
	common, cerr := service.FromEnv(getenv, service.Defaults{HTTPAddr: DefaultHTTPAddr})
	s := Settings{
		DatabaseDSN:    getenv("MILLRACE_DATABASE_DSN"),
		SMTPAddr:       or(getenv("MILLRACE_SMTP_ADDR"), DefaultSMTPAddr),
		From:           or(getenv("MILLRACE_MAIL_FROM"), DefaultFrom),
		PublicURL:      strings.TrimSpace(getenv("MILLRACE_PUBLIC_URL")),
		TopicPrefix:    getenv("MILLRACE_TOPIC_PREFIX"),
		OutboxTopic:    or(getenv("MILLRACE_OUTBOX_TOPIC"), outbox.DefaultTopic),
		OutboxPoll:     outbox.DefaultPollInterval,
		OutboxInFlight: outbox.DefaultInFlight,
		TokenTTL:       account.DefaultTokenTTL,
		Argon2:         account.DefaultArgon2,
	}
	s.UseCommon(common)
	errs := []error{cerr}
	for key, dst := range map[string]*time.Duration{"MILLRACE_OUTBOX_POLL_INTERVAL": &s.OutboxPoll, "MILLRACE_TOKEN_TTL": &s.TokenTTL} {
		if v := getenv(key); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 50ms", key, v))
				continue
			}
			*dst = d
		}
	}
	if v := getenv("MILLRACE_OUTBOX_IN_FLIGHT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("MILLRACE_OUTBOX_IN_FLIGHT=%q: want a positive whole number such as 16", v))
		} else {
			s.OutboxInFlight = n
		}
	}
	return s, errors.Join(errs...)
}

// UseCommon sets the settings every binary shares (service.Settings) that the
// registration services use: the HTTP address and the shutdown timeout.
func (s *Settings) UseCommon(c service.Settings) {
	s.HTTPAddr, s.ShutdownTimeout = c.HTTPAddr, c.ShutdownTimeout
}

func or(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

// BaseURL returns the http:// URL a client on this machine reaches a server listening
// on addr (host:port) at: an unspecified host (":8081", "0.0.0.0:8081", "[::]:8081")
// becomes localhost.
func BaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// LinkBase returns the base URL of verification links: s.PublicURL when set, else
// BaseURL(usersAddr), the users service's address. It logs which one it is, and rejects
// a URL that is not http(s)://host[:port][/path].
func (s Settings) LinkBase(usersAddr, origin string, logger *slog.Logger) (string, error) {
	base := strings.TrimSuffix(s.PublicURL, "/")
	if base == "" {
		base = BaseURL(usersAddr)
		logger.Info("verification links point at "+origin+"; set MILLRACE_PUBLIC_URL to change it", "public_url", base)
		return base, nil
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("public URL %q (MILLRACE_PUBLIC_URL): want http(s)://host[:port][/path]", s.PublicURL)
	}
	logger.Info("verification links point at MILLRACE_PUBLIC_URL", "public_url", base)
	return base, nil
}

// Database returns the dialect and DSN of the users database: the dialect of the
// outbox transport of users.registered, and its DSN unless s names one.
func (s Settings) Database(topo *topology.Topology) (dialect sqldb.Dialect, dsn string, err error) {
	topic := s.TopicPrefix + account.Registered{}.EventName()
	tp, err := topo.Resolve(topic)
	if err != nil {
		return "", "", fmt.Errorf("users database: %w", err)
	}
	if tp.Outbox == "" {
		return "", "", fmt.Errorf("users database: topic %q has no outbox in %s; the users service writes its events through a SQL outbox", topic, topo.File)
	}
	tr, ok := topo.Transport(tp.Outbox)
	if !ok {
		return "", "", fmt.Errorf("users database: outbox %q of %q is not a transport of %s", tp.Outbox, topic, topo.File)
	}
	dialect, secret, err := sqldb.Of(tr)
	if err != nil {
		return "", "", fmt.Errorf("users database: outbox of %q: %w", topic, err)
	}
	dsn = s.DatabaseDSN
	if dsn == "" {
		dsn = secret.Reveal()
	}
	return dialect, dsn, nil
}
