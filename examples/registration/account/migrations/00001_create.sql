-- The users database as it was before migrations were versioned; IF NOT EXISTS lets a
-- database created then adopt this version. Times are Unix microseconds (BIGINT), so
-- PostgreSQL and SQLite compare them alike. The processed-message record
-- (processed_messages), once created here too, is internal/idempotency's.

-- +goose Up
CREATE TABLE IF NOT EXISTS users (
	id TEXT PRIMARY KEY,
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	status TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	verified_at BIGINT
);
CREATE TABLE IF NOT EXISTS verification_tokens (
	token_hash TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id),
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT,
	correlation_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS user_stats (
	name TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);

-- +goose Down
DROP TABLE user_stats;
DROP TABLE verification_tokens;
DROP TABLE users;
