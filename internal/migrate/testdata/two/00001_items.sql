-- +goose Up
CREATE TABLE {{.Table}} (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL);

-- +goose Down
DROP TABLE {{.Table}};
