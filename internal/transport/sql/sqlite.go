package sql

import (
	stdsql "database/sql"
	"encoding/json"
	"fmt"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/internal/sqldb"
)

// EnsureSQLiteDir creates the folder of the SQLite database file path, if path is not
// empty. Kept for callers that have not moved to sqldb.EnsureSQLiteDir.
func EnsureSQLiteDir(path string) error { return sqldb.EnsureSQLiteDir(path) }

// sqliteBatchSize is how many rows one poll reads.
const sqliteBatchSize = 100

// SQLiteDSN returns the DSN of the SQLite database file path with the settings of
// sqldb.SQLiteDSN. Kept for callers that have not moved.
func SQLiteDSN(path string) string { return sqldb.SQLiteDSN(path) }

// sqliteSchema stores a topic's messages in "watermill_<topic>" with an AUTOINCREMENT
// offset. SQLite has one writer at a time, so rows commit in offset order and a
// subscriber reading above its acked offset never skips one.
type sqliteSchema struct{}

func (sqliteSchema) table(topic string) string { return sqldb.SQLite.Quote("watermill_" + topic) }

// SchemaInitializingQueries creates the messages table with a BLOB payload.
func (s sqliteSchema) SchemaInitializingQueries(topic string) []wsql.Query {
	return []wsql.Query{{Query: `CREATE TABLE IF NOT EXISTS ` + s.table(topic) + ` (
		"offset" INTEGER PRIMARY KEY AUTOINCREMENT,
		"uuid" TEXT NOT NULL,
		"created_at" TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
		"payload" BLOB,
		"metadata" TEXT
	)`}}
}

// InsertQuery inserts msgs with their metadata as JSON (see sqlMetadata).
func (s sqliteSchema) InsertQuery(topic string, msgs message.Messages) (wsql.Query, error) {
	args, err := sqlInsertArgs(msgs)
	if err != nil {
		return wsql.Query{}, err
	}
	for i := 2; i < len(args); i += 3 {
		args[i] = string(args[i].([]byte)) // a TEXT column
	}
	return wsql.Query{Query: `INSERT INTO ` + s.table(topic) + ` ("uuid", "payload", "metadata") VALUES ` + questionMarkers(len(msgs)), Args: args}, nil
}

// SelectQuery reads the next batch above the group's acked offset.
func (s sqliteSchema) SelectQuery(topic, group string, offsets wsql.OffsetsAdapter) wsql.Query {
	next := offsets.NextOffsetQuery(topic, group)
	return wsql.Query{
		Query: `SELECT "offset", "uuid", "payload", "metadata" FROM ` + s.table(topic) +
			` WHERE "offset" > (` + next.Query + `) ORDER BY "offset" LIMIT ` + fmt.Sprint(sqliteBatchSize),
		Args: next.Args,
	}
}

// UnmarshalMessage turns a row of SelectQuery into a message.
func (sqliteSchema) UnmarshalMessage(row wsql.Scanner) (wsql.Row, error) {
	var (
		r  wsql.Row
		md stdsql.NullString
	)
	if err := row.Scan(&r.Offset, &r.UUID, &r.Payload, &md); err != nil {
		return wsql.Row{}, fmt.Errorf("scan message row: %w", err)
	}
	msg := message.NewMessage(string(r.UUID), r.Payload)
	if md.Valid && md.String != "" {
		r.Metadata = []byte(md.String)
		if err := json.Unmarshal(r.Metadata, &msg.Metadata); err != nil {
			return wsql.Row{}, fmt.Errorf("unmarshal metadata of message %s: %w", msg.UUID, err)
		}
		metadata.RestoreEventID(msg)
	}
	r.Msg = msg
	return r, nil
}

// SubscribeIsolationLevel is the default: SQLite transactions are serializable.
func (sqliteSchema) SubscribeIsolationLevel() stdsql.IsolationLevel { return stdsql.LevelDefault }

// sqliteOffsets keeps one row per consumer group in "watermill_offsets_<topic>".
type sqliteOffsets struct{}

func (sqliteOffsets) table(topic string) string {
	return sqldb.SQLite.Quote("watermill_offsets_" + topic)
}

// SchemaInitializingQueries creates the offsets table.
func (o sqliteOffsets) SchemaInitializingQueries(topic string) []wsql.Query {
	return []wsql.Query{{Query: `CREATE TABLE IF NOT EXISTS ` + o.table(topic) + ` (
		"consumer_group" TEXT NOT NULL PRIMARY KEY,
		"offset_acked" INTEGER NOT NULL DEFAULT 0,
		"offset_consumed" INTEGER NOT NULL DEFAULT 0
	)`}}
}

// AckMessageQuery records row as the group's last acked offset.
func (o sqliteOffsets) AckMessageQuery(topic string, row wsql.Row, group string) wsql.Query {
	return wsql.Query{
		Query: `INSERT INTO ` + o.table(topic) + ` ("consumer_group", "offset_acked", "offset_consumed") VALUES (?, ?, ?)
			ON CONFLICT ("consumer_group") DO UPDATE SET "offset_acked" = excluded."offset_acked", "offset_consumed" = excluded."offset_consumed"`,
		Args: []any{group, row.Offset, row.Offset},
	}
}

// ConsumedMessageQuery is empty: the transaction that reads a batch holds the write
// lock until it acks, so no other consumer can take the same rows meanwhile.
func (sqliteOffsets) ConsumedMessageQuery(string, wsql.Row, string, []byte) wsql.Query {
	return wsql.Query{}
}

// NextOffsetQuery returns the group's acked offset, 0 before its first ack.
func (o sqliteOffsets) NextOffsetQuery(topic, group string) wsql.Query {
	return wsql.Query{
		Query: `SELECT COALESCE((SELECT "offset_acked" FROM ` + o.table(topic) + ` WHERE "consumer_group" = ?), 0)`,
		Args:  []any{group},
	}
}

// BeforeSubscribingQueries is empty.
func (sqliteOffsets) BeforeSubscribingQueries(string, string) []wsql.Query { return nil }

var (
	_ wsql.SchemaAdapter  = sqliteSchema{}
	_ wsql.OffsetsAdapter = sqliteOffsets{}
)
