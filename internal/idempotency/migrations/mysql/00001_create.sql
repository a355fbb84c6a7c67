-- The processed-message record. processed_at is Unix microseconds.

-- +goose Up
CREATE TABLE IF NOT EXISTS `{{.Table}}` (
	handler VARCHAR(255) NOT NULL,
	message_id VARCHAR(255) NOT NULL,
	processed_at BIGINT NOT NULL,
	PRIMARY KEY (handler, message_id)
) DEFAULT CHARSET=utf8mb4;

-- +goose Down
DROP TABLE `{{.Table}}`;
