-- +goose Up
ALTER TABLE {{.Table}} ADD COLUMN note VARCHAR(100) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE {{.Table}} DROP COLUMN note;
