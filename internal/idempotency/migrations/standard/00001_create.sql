-- The processed-message record on PostgreSQL and SQLite. IF NOT EXISTS: a users
-- database of the registration example created this table before the record had
-- migrations of its own, with the same columns. processed_at is Unix microseconds.

-- +goose Up
CREATE TABLE IF NOT EXISTS "{{.Table}}" (
	handler TEXT NOT NULL,
	message_id TEXT NOT NULL,
	processed_at BIGINT NOT NULL,
	PRIMARY KEY (handler, message_id)
);

-- +goose Down
DROP TABLE "{{.Table}}";
