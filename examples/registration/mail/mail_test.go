package mail_test

import (
	"bytes"
	"context"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	millmail "github.com/millrace/millrace/examples/registration/mail"
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

// TestSinkStoresTheLinkAsIs checks that a stored email holds its link exactly as sent
// (not quoted-printable, where "=" becomes "=3D" and long lines get soft breaks), so it
// can be copied out of the .eml file.
func TestSinkStoresTheLinkAsIs(t *testing.T) {
	dir := t.TempDir()
	sink, err := millmail.NewSink(dir, "millrace <no-reply@example.com>", nil)
	if err != nil {
		t.Fatal(err)
	}
	link := "http://127.0.0.1:18181/users/verify?token=" + strings.Repeat("AbC-_9", 8)
	if err := sink.Send(context.Background(), millmail.Message{To: "ada@example.com", Subject: "Hi",
		Text: "Hello Zoë,\n\nplease open this link:\n\n" + link + "\n", Link: link}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d files, want 1", len(files))
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\r\n"+link+"\r\n") {
		t.Errorf("the file does not hold the link %s on a line of its own:\n%s", link, data)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Content-Transfer-Encoding"); got != "8bit" {
		t.Errorf("Content-Transfer-Encoding %q, want 8bit", got)
	}
	if body, _ := io.ReadAll(msg.Body); !strings.Contains(string(body), "Hello Zoë,") {
		t.Errorf("body %q", body)
	}

	long := strings.Repeat("x", 1200)
	if err := sink.Send(context.Background(), millmail.Message{To: "ada@example.com", Subject: "Long", Text: long}); err != nil {
		t.Fatal(err)
	}
	files, _ = filepath.Glob(filepath.Join(dir, "*.eml"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for line := range strings.Lines(string(data)) {
			if len(line) > 1000 {
				t.Errorf("%s has a line of %d bytes", f, len(line))
			}
		}
	}
}
