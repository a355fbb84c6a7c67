package sql

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/metadata"
)

// A row of a SQL transport stores the message UUID in its own column and the metadata as
// JSON. The throughput of PostgreSQL follows the bytes of a row, so, as on RabbitMQ, an
// event's ce_id is left out of the metadata column when it equals the UUID, and put back
// when the row is read: a CloudEvents event (one with ce_specversion) always has an id.
// Rows written with ce_id in the column, by older versions or for an id that differs
// from the UUID, read back unchanged.

// sqlMetadata returns the metadata column of msg.
func sqlMetadata(msg *message.Message) ([]byte, error) {
	md := msg.Metadata
	if id, ok := md[metadata.KeyID]; ok && id == msg.UUID && md[metadata.KeySpecVersion] != "" {
		md = maps.Clone(md)
		delete(md, metadata.KeyID)
	}
	b, err := json.Marshal(md)
	if err != nil {
		return nil, fmt.Errorf("marshal metadata of message %s: %w", msg.UUID, err)
	}
	return b, nil
}

// sqlInsertArgs returns the uuid, payload and metadata arguments of msgs, in order.
func sqlInsertArgs(msgs message.Messages) ([]any, error) {
	args := make([]any, 0, 3*len(msgs))
	for _, msg := range msgs {
		md, err := sqlMetadata(msg)
		if err != nil {
			return nil, err
		}
		args = append(args, msg.UUID, []byte(msg.Payload), md)
	}
	return args, nil
}

// postgresInsertMarkers returns the VALUES tuples of n messages for PostgreSQL, each with
// the inserting transaction's id, as watermill-sql's PostgreSQL schema writes them.
func postgresInsertMarkers(n int) string {
	var sb strings.Builder
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "($%d,$%d,$%d,pg_current_xact_id())", 3*i+1, 3*i+2, 3*i+3)
	}
	return sb.String()
}

// withEventID restores the ce_id of the message of a row read without error.
func withEventID(r wsql.Row, err error) (wsql.Row, error) {
	if err == nil {
		metadata.RestoreEventID(r.Msg)
	}
	return r, err
}

// questionMarkers returns the VALUES tuples of n messages for MySQL and SQLite.
func questionMarkers(n int) string {
	return strings.TrimSuffix(strings.Repeat("(?,?,?),", n), ",")
}
