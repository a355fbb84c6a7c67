package mail_test

import (
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	millmail "github.com/millrace/millrace/internal/mail"
)

func TestSinkStoresEmailWithCorrelationID(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	sink, err := millmail.NewSink(dir, "millrace <no-reply@example.com>", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = sink.Send(context.Background(), millmail.Message{To: "ada@example.com", Subject: "Hi", Text: "link: http://x/y?token=abc",
		CorrelationID: "cid-1", Link: "http://x/y?token=abc"})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d files, want 1", len(files))
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get(millmail.HeaderCorrelationID); got != "cid-1" {
		t.Errorf("X-Correlation-ID %q", got)
	}
	if got := msg.Header.Get("To"); !strings.Contains(got, "ada@example.com") {
		t.Errorf("To %q", got)
	}
}

func TestSMTPConfigValidate(t *testing.T) {
	for _, c := range []millmail.SMTPConfig{
		{Addr: "localhost", From: "a@example.com"},
		{Addr: "localhost:smtp", From: "a@example.com"},
		{Addr: "localhost:25", From: "not an address"},
	} {
		if _, err := millmail.NewSMTP(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := millmail.NewSMTP(millmail.SMTPConfig{Addr: "127.0.0.1:1025", From: "a@example.com"}); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

// TestSMTPUnreachableIsAnError sends to a closed port: the error is returned (the
// router retries it), not swallowed.
func TestSMTPUnreachableIsAnError(t *testing.T) {
	s, err := millmail.NewSMTP(millmail.SMTPConfig{Addr: "127.0.0.1:1", From: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), millmail.Message{To: "b@example.com", Subject: "s", Text: "t"}); err == nil {
		t.Error("send to a closed port succeeded")
	}
}
