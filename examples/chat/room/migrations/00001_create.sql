-- The chat history table as it was before migrations were versioned; IF NOT EXISTS lets
-- a database created then adopt this version. {{.Table}} is the configured table.

-- +goose Up
CREATE TABLE IF NOT EXISTS {{.Table}} (
	id BIGSERIAL PRIMARY KEY,
	message_id TEXT NOT NULL UNIQUE,
	room TEXT NOT NULL,
	name TEXT NOT NULL,
	text TEXT NOT NULL,
	sent_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS {{.Table}}_room_id ON {{.Table}} (room, id);

-- +goose Down
DROP TABLE {{.Table}};
