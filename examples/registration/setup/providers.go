package setup

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/wire"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/internal/idempotency"
	"github.com/millrace/millrace/internal/logging"
	"github.com/millrace/millrace/internal/observability"
	"github.com/millrace/millrace/internal/outbox"
	"github.com/millrace/millrace/topology"
)

// Service names, the ce_source of the events each publishes.
const (
	SourceUsers  = "users"
	SourceMailer = "mailer"
)

// StoreSet provides the users database and what lives in it: the processed-message
// record, the outbox and the users domain service on top of them.
var StoreSet = wire.NewSet(ProvideStore, ProvideRecord, ProvideOutbox, ProvideService)

// ProvideStore opens the users database the settings and topology name.
func ProvideStore(ctx context.Context, topo *topology.Topology, s Settings, logger *slog.Logger) (*account.Store, func(), error) {
	dialect, dsn, err := s.Database(topo)
	if err != nil {
		return nil, nil, err
	}
	store, err := account.Open(ctx, dialect, dsn)
	if err != nil {
		return nil, nil, err
	}
	return store, func() {
		if err := store.Close(); err != nil {
			logger.Error("close users store", "error", err)
		}
	}, nil
}

// ProvideRecord returns the processed-message record of the users database, which
// the handlers of both services keep.
func ProvideRecord(ctx context.Context, store *account.Store) (*idempotency.Store, error) {
	return idempotency.New(ctx, store.DB(), idempotency.Config{Dialect: store.Dialect()})
}

// ProvideOutbox returns the outbox in the users database. Its writes carry the trace
// context of the request that stores them, which the relay's publish continues.
func ProvideOutbox(ctx context.Context, store *account.Store, s Settings, o *observability.Observability, logger *slog.Logger) (*outbox.Outbox, error) {
	return outbox.New(ctx, store.DB(), outbox.Config{
		Dialect:      store.Dialect(),
		Topic:        s.OutboxTopic,
		Source:       SourceUsers,
		EventTopic:   account.TopicFunc(s.TopicPrefix),
		PollInterval: s.OutboxPoll,
		InFlight:     s.OutboxInFlight,
		Decorators:   []message.PublisherDecorator{o.Tracing.DecoratePublisher},
	}, logging.Watermill(logger))
}

// ProvideService returns the users service.
func ProvideService(store *account.Store, ob *outbox.Outbox, s Settings) (*account.Service, error) {
	return account.NewService(store, ob, account.Config{TokenTTL: s.TokenTTL, Argon2: s.Argon2})
}

// ProvideSMTP returns the SMTP sender of the settings.
func ProvideSMTP(s Settings) (mail.Sender, error) {
	return mail.NewSMTP(mail.SMTPConfig{Addr: s.SMTPAddr, From: s.From})
}
