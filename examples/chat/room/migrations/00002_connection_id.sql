-- The sender's connection id, so a member's own messages are marked in the history too.

-- +goose Up
ALTER TABLE {{.Table}} ADD COLUMN connection_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE {{.Table}} DROP COLUMN connection_id;
