package topology

import (
	"fmt"
	"strings"
)

func (l *loader) parseTransports(e entry) {
	m, ok := l.mapping(e.val, "transports")
	if !ok {
		return
	}
	for _, te := range m.entries {
		field := join("transports", te.name)
		if msg := checkTransportName(te.name); msg != "" {
			l.addf(posOf(te.key), field, "%s", msg)
		}
		tr := l.parseTransport(te, field)
		l.transports[te.name] = tr
		if tr.Kind != "" {
			l.t.Transports[te.name] = tr
		}
	}
}

// parseTransport returns the transport of one entry; its Kind is empty when the kind is
// missing or unknown.
func (l *loader) parseTransport(te entry, field string) *Transport {
	tr := &Transport{Name: te.name, Pos: posOf(te.key)}
	m, ok := l.mapping(te.val, field)
	if !ok {
		return tr
	}
	kindField := join(field, "kind")
	k, kp, ok := l.str(m, "kind", field)
	if !ok {
		if _, present := m.get("kind"); !present {
			l.addf(posOf(te.key), kindField, "kind is required (one of %s)", kindList())
		}
		return tr
	}
	section, known := kindSection[Kind(k)]
	if spec, ok := registeredKind(Kind(k)); !known && ok {
		l.checkKnownKeys(m, spec.Keys, field)
		tr.Settings = spec.Decode(&Settings{l: l, m: m, te: te, field: field})
		tr.Kind = Kind(k)
		return tr
	}
	if !known {
		msg := fmt.Sprintf("unknown transport kind %q (valid: %s)", k, kindList())
		if s := suggest(k, strings.Split(kindList(), ", ")); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		l.addf(kp, kindField, "%s", msg)
		return tr
	}
	l.checkKeys(m, section, field)
	kind := Kind(k)
	switch kind {
	case KindGoChannel:
		c := &GoChannelConfig{Buffer: defaultBuffer}
		if v, _, ok := l.integer(m, "buffer", field, 0); ok {
			c.Buffer = v
		}
		tr.GoChannel = c
	case KindAMQP:
		tr.AMQP = l.parseAMQP(m, te, field)
	case KindRedisStream:
		tr.RedisStream = l.parseRedisStream(m, te, field)
	case KindSQL:
		tr.SQL = l.parseSQL(m, te, field)
	}
	tr.Kind = kind
	return tr
}

// required reads a string setting that must be present and non-empty.
func (l *loader) required(m *mapping, key, field string, te entry, hint string) (string, bool) {
	v, p, ok := l.str(m, key, field)
	if !ok {
		if _, present := m.get(key); !present {
			l.addf(posOf(te.key), join(field, key), "%s is required%s", key, hint)
		}
		return "", false
	}
	if strings.TrimSpace(v) == "" {
		l.addf(p, join(field, key), "%s must not be empty%s", key, hint)
		return "", false
	}
	return v, true
}

func (l *loader) parseAMQP(m *mapping, te entry, field string) *AMQPConfig {
	c := &AMQPConfig{
		Prefetch:         defaultPrefetch,
		Confirms:         true,
		ChannelPool:      defaultChannelPool,
		Durable:          true,
		ReconnectInitial: defaultReconnectInitial,
		ReconnectMax:     defaultReconnectMax,
	}
	if u, ok := l.required(m, "url", field, te, " (amqp://user:password@host:5672/vhost)"); ok {
		if !strings.HasPrefix(u, "amqp://") && !strings.HasPrefix(u, "amqps://") {
			e, _ := m.get("url")
			l.addf(posOf(e.val), join(field, "url"), "url must start with amqp:// or amqps://, got %q", redact(u))
		}
		c.URL = Secret(u)
	}
	if v, _, ok := l.integer(m, "prefetch", field, 1); ok {
		c.Prefetch = int(v)
	}
	if v, _, ok := l.boolean(m, "confirms", field); ok {
		c.Confirms = v
	}
	if v, _, ok := l.integer(m, "channel_pool", field, 1); ok {
		c.ChannelPool = int(v)
	}
	if v, _, ok := l.boolean(m, "durable", field); ok {
		c.Durable = v
	}
	ri, _, riSet := l.duration(m, "reconnect_initial", field, false)
	if riSet {
		c.ReconnectInitial = ri
	}
	rm, rmPos, rmSet := l.duration(m, "reconnect_max", field, false)
	if rmSet {
		c.ReconnectMax = rm
	}
	if (riSet || rmSet) && c.ReconnectMax < c.ReconnectInitial {
		p, f := rmPos, join(field, "reconnect_max")
		if !rmSet {
			_, p, _ = l.peekPos(m, "reconnect_initial")
			f = join(field, "reconnect_initial")
		}
		l.addf(p, f, "reconnect_max (%s) must not be less than reconnect_initial (%s)", c.ReconnectMax, c.ReconnectInitial)
	}
	return c
}

// peekPos returns the position of key's value without reporting anything.
func (l *loader) peekPos(m *mapping, key string) (entry, Pos, bool) {
	e, ok := m.get(key)
	if !ok {
		return entry{}, m.pos, false
	}
	return e, posOf(e.val), true
}

func (l *loader) parseRedisStream(m *mapping, te entry, field string) *RedisStreamConfig {
	c := &RedisStreamConfig{
		BlockTime:     defaultBlockTime,
		ClaimInterval: defaultClaimInterval,
		MinIdleTime:   defaultMinIdleTime,
	}
	if v, ok := l.required(m, "addr", field, te, " (host:port)"); ok {
		c.Addr = v
	}
	if v, _, ok := l.str(m, "username", field); ok {
		c.Username = v
	}
	if v, _, ok := l.str(m, "password", field); ok {
		c.Password = Secret(v)
	}
	if v, _, ok := l.integer(m, "db", field, 0); ok {
		c.DB = int(v)
	}
	if v, _, ok := l.integer(m, "maxlen", field, 0); ok {
		c.MaxLen = v
	}
	if v, _, ok := l.duration(m, "block_time", field, false); ok {
		c.BlockTime = v
	}
	if v, _, ok := l.duration(m, "claim_interval", field, false); ok {
		c.ClaimInterval = v
	}
	if v, _, ok := l.duration(m, "min_idle_time", field, false); ok {
		c.MinIdleTime = v
	}
	return c
}

func (l *loader) parseSQL(m *mapping, te entry, field string) *SQLConfig {
	c := &SQLConfig{PollInterval: defaultPollInterval, InitializeSchema: true}
	dialects := []string{DialectPostgres, DialectMySQL, DialectSQLite}
	if d, ok := l.required(m, "dialect", field, te, " (postgres, mysql or sqlite)"); ok {
		if d != DialectPostgres && d != DialectMySQL && d != DialectSQLite {
			e, _ := m.get("dialect")
			msg := fmt.Sprintf("unknown dialect %q (valid: postgres, mysql, sqlite)", d)
			if s := suggest(d, dialects); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			l.addf(posOf(e.val), join(field, "dialect"), "%s", msg)
		} else {
			c.Dialect = d
		}
	}
	if v, ok := l.required(m, "dsn", field, te, ""); ok {
		c.DSN = Secret(v)
	}
	if v, _, ok := l.duration(m, "poll_interval", field, false); ok {
		c.PollInterval = v
	}
	if v, _, ok := l.boolean(m, "initialize_schema", field); ok {
		c.InitializeSchema = v
	}
	return c
}
