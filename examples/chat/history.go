package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/redis/go-redis/v9"

	"github.com/millrace/millrace/examples/chat/room"
	"github.com/millrace/millrace/internal/sqldb"
	"github.com/millrace/millrace/internal/transport/redisstream"
	"github.com/millrace/millrace/topology"
)

// HistoryStore says where the chat keeps each room's recent messages: "memory", the
// name of a redisstream or PostgreSQL sql transport of the topology (whose server then
// holds the history), or "" to choose from the topology (see OpenHistory).
type HistoryStore string

// HistoryMemory keeps the history in the process: for one local instance only.
const HistoryMemory HistoryStore = "memory"

// HistoryOptions are the names a history store uses, so tests can keep apart.
type HistoryOptions struct {
	// RedisPrefix is the key prefix of Redis lists (default chat.DefaultRedisHistoryPrefix).
	RedisPrefix string
	// SQLTable is the PostgreSQL table (default chat.DefaultSQLHistoryTable).
	SQLTable string
}

// OpenHistory opens the history store. With an empty store it uses the transport of
// topic messagesTopic when that is Redis or PostgreSQL, else the first PostgreSQL then
// the first Redis transport of the topology (by name), else memory. The cleanup closes
// the connection it opened.
func OpenHistory(ctx context.Context, topo *topology.Topology, store HistoryStore, messagesTopic string, opts HistoryOptions, logger *slog.Logger) (room.History, func(), error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if messagesTopic == "" {
		messagesTopic = room.DefaultMessagesTopic
	}
	tr, err := historyTransport(topo, store, messagesTopic)
	if err != nil {
		return nil, nil, fmt.Errorf("chat history: %w", err)
	}
	if tr == nil {
		logger.Info("chat history in memory: it is lost on restart and not shared between instances")
		return room.NewMemoryHistory(room.HistoryLimit), func() {}, nil
	}
	if o, ok := redisstream.ClientOptions(tr); ok {
		client := redis.NewClient(o)
		if err := client.Ping(ctx).Err(); err != nil {
			return nil, nil, errors.Join(fmt.Errorf("chat history: redis %s (transport %s): %w", o.Addr, tr.Name, err), client.Close())
		}
		logger.Info("chat history in redis", "transport", tr.Name)
		return room.NewRedisHistory(client, opts.RedisPrefix, room.HistoryLimit), closer(logger, client.Close), nil
	}
	if dialect, _, _ := tr.Database(); dialect == string(sqldb.Postgres) {
		db, _, err := sqldb.OpenTransport(tr)
		if err != nil {
			return nil, nil, fmt.Errorf("chat history: transport %s: %w", tr.Name, err)
		}
		h, err := room.NewPostgresHistory(ctx, db, opts.SQLTable)
		if err != nil {
			return nil, nil, errors.Join(fmt.Errorf("chat history: transport %s: %w", tr.Name, err), db.Close())
		}
		logger.Info("chat history in postgres", "transport", tr.Name)
		return h, closer(logger, db.Close), nil
	}
	return nil, nil, fmt.Errorf("chat history: transport %s is %s; use redisstream or sql (postgres)", tr.Name, tr.Kind)
}

func closer(logger *slog.Logger, close func() error) func() {
	return func() {
		if err := close(); err != nil {
			logger.Error("close chat history", "error", err)
		}
	}
}

// historyTransport picks the transport of the store; nil means memory.
func historyTransport(topo *topology.Topology, store HistoryStore, messagesTopic string) (*topology.Transport, error) {
	switch store {
	case HistoryMemory:
		return nil, nil
	case "":
	default:
		tr, ok := topo.Transports[string(store)]
		if !ok {
			return nil, fmt.Errorf("store %q is neither %q nor a transport of %s", store, HistoryMemory, topo.File)
		}
		if !historyCapable(tr) {
			return nil, fmt.Errorf("transport %s is %s; the history needs redisstream or sql with dialect postgres", tr.Name, tr.Kind)
		}
		return tr, nil
	}
	if t, err := topo.Resolve(messagesTopic); err == nil {
		if tr := topo.Transports[t.Transport]; tr != nil && historyCapable(tr) {
			return tr, nil
		}
	}
	names := make([]string, 0, len(topo.Transports))
	for name := range topo.Transports {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, capable := range []func(*topology.Transport) bool{isPostgres, isRedis} {
		for _, name := range names {
			if tr := topo.Transports[name]; capable(tr) {
				return tr, nil
			}
		}
	}
	return nil, nil
}

func historyCapable(tr *topology.Transport) bool { return isPostgres(tr) || isRedis(tr) }

func isPostgres(tr *topology.Transport) bool {
	dialect, _, _ := tr.Database()
	return dialect == string(sqldb.Postgres)
}

func isRedis(tr *topology.Transport) bool {
	_, ok := redisstream.ClientOptions(tr)
	return ok
}
