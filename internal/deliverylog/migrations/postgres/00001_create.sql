-- The delivery log as it was before migrations were versioned; IF NOT EXISTS lets a
-- database created then adopt this version. {{.Table}} is the configured table.

-- +goose Up
CREATE TABLE IF NOT EXISTS "{{.Table}}" (
	id BIGSERIAL PRIMARY KEY,
	kind VARCHAR(16) NOT NULL,
	message_id VARCHAR(255) NOT NULL,
	correlation_id VARCHAR(255) NOT NULL,
	causation_id VARCHAR(255) NOT NULL,
	event_type VARCHAR(255) NOT NULL,
	topic VARCHAR(255) NOT NULL,
	transport VARCHAR(255) NOT NULL,
	handler VARCHAR(255) NOT NULL,
	outcome VARCHAR(16) NOT NULL,
	attempts INTEGER NOT NULL,
	reason TEXT NOT NULL,
	at_ns BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS "{{.Table}}_correlation" ON "{{.Table}}" (correlation_id, at_ns);

-- +goose Down
DROP TABLE "{{.Table}}";
