package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Sink is a development Sender: it writes each email as an .eml file into a folder
// and logs where it went, with its link, instead of sending it. The text is stored as
// is (8bit), so the link can be copied out of the file; only a text with a line over
// the 998 bytes RFC 5322 allows is stored quoted-printable.
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
	if plain(m.Text) {
		msg.SetEncoding(gomail.NoEncoding)
		msg.SetBodyString(gomail.TypeTextPlain, crlf.Replace(m.Text))
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("mail sink: %w", err)
	}
	name := filepath.Join(s.dir, time.Now().UTC().Format("20060102T150405.000000000")+"-"+hex.EncodeToString(b)+".eml")
	if err := writeAtomically(name, msg); err != nil {
		return fmt.Errorf("mail sink: write %s: %w", name, err)
	}
	attrs := []any{"user_id", m.UserID, "subject", m.Subject, "file", name}
	if m.Link != "" {
		attrs = append(attrs, "link", m.Link)
	}
	s.logger.InfoContext(ctx, "email stored", attrs...)
	return nil
}

// writeAtomically writes msg to a temporary file beside name and renames it into
// place, so whoever lists the folder sees a whole email or none.
func writeAtomically(name string, msg io.WriterTo) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".sending-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := msg.WriteTo(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// crlf ends every line of a text with CRLF, as a stored email's body must.
var crlf = strings.NewReplacer("\r\n", "\r\n", "\n", "\r\n")

// plain reports whether text can be stored as is: no line over 998 bytes and no
// carriage return outside a line break.
func plain(text string) bool {
	for line := range strings.Lines(text) {
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if len(line) > 998 || strings.ContainsRune(line, '\r') {
			return false
		}
	}
	return true
}

var _ Sender = (*Sink)(nil)
