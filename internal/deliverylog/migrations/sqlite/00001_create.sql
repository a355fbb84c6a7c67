-- The delivery log as it was before migrations were versioned; IF NOT EXISTS lets a
-- database created then adopt this version. {{.Table}} is the configured table.

-- +goose Up
CREATE TABLE IF NOT EXISTS "{{.Table}}" (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT NOT NULL,
	message_id TEXT NOT NULL,
	correlation_id TEXT NOT NULL,
	causation_id TEXT NOT NULL,
	event_type TEXT NOT NULL,
	topic TEXT NOT NULL,
	transport TEXT NOT NULL,
	handler TEXT NOT NULL,
	outcome TEXT NOT NULL,
	attempts INTEGER NOT NULL,
	reason TEXT NOT NULL,
	at_ns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS "{{.Table}}_correlation" ON "{{.Table}}" (correlation_id, at_ns);

-- +goose Down
DROP TABLE "{{.Table}}";
