package sql

import (
	"fmt"
	"strings"
	"time"

	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// Name is the kind of the SQL transport in a topology file.
const Name topology.Kind = "sql"

// Settings are the settings of a SQL (watermill-sql) transport, used for plain topics and
// as a transactional outbox. They implement topology.Database.
type Settings struct {
	Dialect sqldb.Dialect
	DSN     topology.Secret
	// PollInterval is how often an idle subscriber polls for new rows (default 100ms).
	PollInterval time.Duration
	// InitializeSchema creates topic tables on first use (default true).
	InitializeSchema bool
}

const defaultPollInterval = 100 * time.Millisecond

// Database returns the dialect and DSN of the database.
func (s *Settings) Database() (string, topology.Secret) { return string(s.Dialect), s.DSN }

// UseFile points a SQLite transport at the database file path and reports whether it
// did; other dialects are left as they are.
func (s *Settings) UseFile(path string) bool {
	if s.Dialect != sqldb.SQLite {
		return false
	}
	s.DSN = topology.Secret(path)
	return true
}

// String prints the settings; a SQLite file name is not a secret, so only the values of
// password-like parameters of a "file:" URI are masked there.
func (s *Settings) String() string {
	dsn := s.DSN.String()
	if s.Dialect == sqldb.SQLite {
		dsn = sqliteDSN(s.DSN)
	}
	return fmt.Sprintf("dialect=%s dsn=%s poll=%s initialize_schema=%t",
		s.Dialect, dsn, s.PollInterval, s.InitializeSchema)
}

// sqliteDSN prints a SQLite DSN with the values of password-like query parameters
// masked.
func sqliteDSN(dsn topology.Secret) string {
	name, query, ok := strings.Cut(dsn.Reveal(), "?")
	if !ok {
		return name
	}
	params := strings.Split(query, "&")
	for i, p := range params {
		key, _, _ := strings.Cut(p, "=")
		k := strings.ToLower(key)
		if strings.Contains(k, "pass") || strings.Contains(k, "pwd") || strings.Contains(k, "secret") ||
			strings.Contains(k, "key") || strings.Contains(k, "token") || strings.Contains(k, "auth") {
			params[i] = key + "=****"
		}
	}
	return name + "?" + strings.Join(params, "&")
}

var spec = topology.KindSpec{
	Keys:       []string{"dialect", "dsn", "poll_interval", "initialize_schema"},
	Decode:     decode,
	Database:   true,
	CheckTopic: checkTopic,
	// watermill-sql keeps a subscriber's reading transaction open until the ack, and
	// SQLite has one writer.
	LocksWhileHandling: func(settings any) bool {
		s, ok := settings.(*Settings)
		return ok && s.Dialect == sqldb.SQLite
	},
}

func decode(ts *topology.Settings) any {
	s := &Settings{PollInterval: defaultPollInterval, InitializeSchema: true}
	dialects := make([]string, len(sqldb.Dialects))
	for i, d := range sqldb.Dialects {
		dialects[i] = string(d)
	}
	if d, ok := ts.OneOf("dialect", dialects, " (postgres, mysql or sqlite)"); ok {
		s.Dialect = sqldb.Dialect(d)
	}
	if v, ok := ts.Required("dsn", ""); ok {
		s.DSN = topology.Secret(v)
	}
	if v, ok := ts.Duration("poll_interval", false); ok {
		s.PollInterval = v
	}
	if v, ok := ts.Bool("initialize_schema"); ok {
		s.InitializeSchema = v
	}
	return s
}

// tablePrefix is the longest table name prefix watermill-sql puts before a topic;
// maxIdentifier is PostgreSQL's identifier limit in bytes (MySQL allows 64).
const (
	tablePrefix   = "watermill_offsets_"
	maxIdentifier = 63
)

// checkTopic reports a topic whose watermill-sql table names would pass the identifier
// limit.
func checkTopic(topic string, pattern bool) string {
	n := len(tablePrefix) + len(topic)
	if n <= maxIdentifier {
		return ""
	}
	if pattern {
		return fmt.Sprintf("table names %s<topic> are at least %d bytes; identifiers are limited to %d bytes (topic names at most %d)",
			tablePrefix, n, maxIdentifier, maxIdentifier-len(tablePrefix))
	}
	return fmt.Sprintf("table name %s%s would be %d bytes; identifiers are limited to %d bytes (topic names at most %d)",
		tablePrefix, topic, n, maxIdentifier, maxIdentifier-len(tablePrefix))
}

// settingsOf returns the settings of cfg, a transport of this kind.
func settingsOf(cfg *topology.Transport) (*Settings, error) {
	return transport.SettingsOf[Settings](cfg)
}
