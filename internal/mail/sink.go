package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Sink is a development Sender: it writes each email as an .eml file into a folder
// and logs where it went, with its link, instead of sending it.
type Sink struct {
	dir    string
	from   string
	logger *slog.Logger
}

// NewSink returns a sink writing into dir, which is created if needed.
func NewSink(dir, from string, logger *slog.Logger) (*Sink, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("mail sink: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Sink{dir: dir, from: from, logger: logger}, nil
}

// Dir returns the folder the emails are written to.
func (s *Sink) Dir() string { return s.dir }

// Send writes m to <dir>/<time>-<random>.eml.
func (s *Sink) Send(ctx context.Context, m Message) error {
	msg, err := build(s.from, m)
	if err != nil {
		return err
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("mail sink: %w", err)
	}
	name := filepath.Join(s.dir, time.Now().UTC().Format("20060102T150405.000000000")+"-"+hex.EncodeToString(b)+".eml")
	if err := msg.WriteToFile(name); err != nil {
		return fmt.Errorf("mail sink: write %s: %w", name, err)
	}
	attrs := []any{"to", m.To, "subject", m.Subject, "file", name}
	if m.Link != "" {
		attrs = append(attrs, "link", m.Link)
	}
	s.logger.InfoContext(ctx, "email stored", attrs...)
	return nil
}

var _ Sender = (*Sink)(nil)
