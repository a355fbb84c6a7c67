package sql

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/topology"
)

// browser reads the messages tables of a watermill-sql transport.
type browser struct {
	db      *stdsql.DB
	dialect sqldb.Dialect
}

var _ transport.Browser = (*browser)(nil)

// openBrowser returns a browser of the messages tables of transport cfg. Tables keep
// every row whatever the consumer group, so group is not needed.
func openBrowser(tr *topology.Transport, _ string) (transport.Browser, error) {
	cfg, err := settingsOf(tr)
	if err != nil {
		return nil, err
	}
	d, err := sqldb.ParseDialect(string(cfg.Dialect))
	if err != nil {
		return nil, fmt.Errorf("sql: %w", err)
	}
	db, err := sqldb.Open(d, cfg.DSN.Reveal())
	if err != nil {
		return nil, fmt.Errorf("open %s %s: %w", cfg.Dialect, cfg.DSN, err)
	}
	return &browser{db: db, dialect: d}, nil
}

// quote quotes an identifier for the dialect.
func (s *browser) quote(name string) string { return s.dialect.Quote(name) }

// table is the messages table of topic, as watermill-sql names it.
func (s *browser) table(topic string) string { return s.quote("watermill_" + topic) }

// arg is the placeholder of the n-th argument (from 1).
func (s *browser) arg(n int) string { return s.dialect.Placeholder(n) }

// exists reports whether topic has its messages table.
func (s *browser) exists(ctx context.Context, topic string) (bool, error) {
	return s.dialect.TableExists(ctx, s.db, "watermill_"+topic)
}

func (s *browser) List(ctx context.Context, topic string) ([]transport.Stored, error) {
	return s.query(ctx, topic, "", nil)
}

func (s *browser) Get(ctx context.Context, topic, id string) ([]transport.Stored, error) {
	out, err := s.query(ctx, topic, " WHERE "+s.quote("uuid")+" = "+s.arg(1), []any{id})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s on %s: %w", id, topic, transport.ErrNotFound)
	}
	return out, nil
}

func (s *browser) query(ctx context.Context, topic, where string, args []any) ([]transport.Stored, error) {
	if ok, err := s.exists(ctx, topic); err != nil || !ok {
		return nil, err
	}
	q := "SELECT " + s.quote("offset") + ", " + s.quote("uuid") + ", " + s.quote("created_at") + ", " +
		s.quote("payload") + ", " + s.quote("metadata") + " FROM " + s.table(topic) + where +
		" ORDER BY " + s.quote("offset")
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read poison topic %s: %w", topic, err)
	}
	defer rows.Close()
	var out []transport.Stored
	for rows.Next() {
		var (
			offset  int64
			uuid    string
			created any
			payload []byte
			md      []byte
		)
		if err := rows.Scan(&offset, &uuid, &created, &payload, &md); err != nil {
			return nil, fmt.Errorf("read poison topic %s: %w", topic, err)
		}
		msg := message.NewMessage(uuid, payload)
		if len(md) > 0 {
			if err := json.Unmarshal(md, &msg.Metadata); err != nil {
				return nil, fmt.Errorf("poison topic %s, offset %d: metadata: %w", topic, offset, err)
			}
			metadata.RestoreEventID(msg)
		}
		out = append(out, transport.Stored{Ref: strconv.FormatInt(offset, 10), Message: msg, StoredAt: sqlTime(created)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read poison topic %s: %w", topic, err)
	}
	return out, nil
}

// sqlTime reads a created_at column, which drivers return as a time or as text.
func sqlTime(v any) time.Time {
	switch v := v.(type) {
	case time.Time:
		return v
	case []byte:
		return parseSQLTime(string(v))
	case string:
		return parseSQLTime(v)
	}
	return time.Time{}
}

func parseSQLTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

func (s *browser) Remove(ctx context.Context, topic string, refs ...string) error {
	if len(refs) == 0 {
		return nil
	}
	if ok, err := s.exists(ctx, topic); err != nil || !ok {
		return err
	}
	marks := make([]string, len(refs))
	args := make([]any, len(refs))
	for i, ref := range refs {
		n, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			return fmt.Errorf("poison topic %s: bad offset %q", topic, ref)
		}
		marks[i], args[i] = s.arg(i+1), n
	}
	q := "DELETE FROM " + s.table(topic) + " WHERE " + s.quote("offset") + " IN (" + strings.Join(marks, ", ") + ")"
	if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("remove from poison topic %s: %w", topic, err)
	}
	return nil
}

func (s *browser) Purge(ctx context.Context, topic string) (int, error) {
	if ok, err := s.exists(ctx, topic); err != nil || !ok {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, "DELETE FROM "+s.table(topic))
	if err != nil {
		return 0, fmt.Errorf("purge poison topic %s: %w", topic, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge poison topic %s: %w", topic, err)
	}
	return int(n), nil
}

func (s *browser) Close() error { return s.db.Close() }
