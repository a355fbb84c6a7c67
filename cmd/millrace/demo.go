package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/config"
	"github.com/millrace/millrace/examples/chat"
	"github.com/millrace/millrace/examples/chat/room"
	"github.com/millrace/millrace/examples/registration"
	"github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/internal/cli"
	"github.com/millrace/millrace/internal/logging"
	"github.com/millrace/millrace/internal/server"
)

// demoProfile is the topology the demo runs on: events in memory; the outbox, the
// delivery log and the poison queues in SQLite.
const demoProfile = "local"

func init() { commands = append(commands, cli.WithCommand(newDemoCommand)) }

func newDemoCommand() *cobra.Command {
	var (
		dataDir  string
		chatAddr string
		s        registration.Settings
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the example systems (users service, mailer and chat) in one process, with no servers",
		Long: `Demo runs the users service (HTTP API, outbox relay, statistics), the mailer and the
chat in one process on the "local" profile: events travel in memory; users, the
outbox, the delivery log and the poison queues live in the SQLite database
<data>/millrace.db; emails are written as .eml files to <data>/mail instead of being
sent, and the log shows each verification link. Stopping and restarting keeps the users,
every event not yet relayed and the poisoned messages; the chat history is kept in
memory only. The users address also serves /metrics, /healthz and /readyz.

From another terminal, while the demo runs:

  millrace trace CORRELATION_ID --data DIR          # the flow of a request
  millrace poison list --topology local --data DIR  # messages that failed for good

  curl -i -X POST localhost:8081/users -d '{"email":"ada@example.com","name":"Ada","password":"correct horse"}'
  open http://localhost:8080/   # the chat

Settings not given as flags come from the environment (see examples/registration).`,
		Args: cobra.NoArgs,
	}
	s, envErr := registration.FromEnv(os.Getenv)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if envErr != nil {
			return envErr
		}
		return cli.Fail(runDemo(cmd.Context(), dataDir, chatAddr, s, cmd))
	}
	cmd.Flags().StringVar(&dataDir, "data", "millrace-data", "folder of the SQLite database and the stored emails")
	cmd.Flags().StringVar(&chatAddr, "chat-addr", chat.DefaultAddr, "HTTP listen address of the chat")
	cmd.Flags().StringVar(&s.HTTPAddr, "http-addr", s.HTTPAddr, "HTTP listen address (MILLRACE_HTTP_ADDR)")
	cmd.Flags().StringVar(&s.PublicURL, "public-url", s.PublicURL, "base URL of verification links (MILLRACE_PUBLIC_URL; default: the address --http-addr serves)")
	cmd.Flags().StringVar(&s.From, "from", s.From, "sender address of emails (MILLRACE_MAIL_FROM)")
	return cmd
}

func runDemo(ctx context.Context, dataDir, chatAddr string, s registration.Settings, cmd *cobra.Command) error {
	logger, err := logging.New(cmd.ErrOrStderr(), logging.Options{})
	if err != nil {
		return err
	}
	topo, err := config.Load(demoProfile)
	if err != nil {
		return err
	}
	if s.DatabaseDSN, err = cli.UseDataFolder(topo, dataDir); err != nil {
		return err
	}
	sink, err := mail.NewSink(filepath.Join(dataDir, "mail"), s.From, logger)
	if err != nil {
		return err
	}
	app, cleanup, err := registration.Build(ctx, topo, s, sink, logger)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer cleanup()
	history, closeHistory, err := chat.OpenHistory(ctx, topo, chat.HistoryMemory, room.DefaultMessagesTopic, chat.HistoryOptions{}, logger)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer closeHistory()
	chatApp, err := chat.New(chat.Config{Topology: topo, Bus: app.Bus, History: history, Logger: logger,
		Addr: chatAddr, Observability: app.Obs})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	logger.Info("demo running", "addr", app.Users.HTTP.Addr(), "chat", chatApp.Addr(), "data", dataDir, "mail", sink.Dir())
	return server.Run(ctx, app.Run, chatApp.Run)
}
