package mail_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/millrace/millrace/examples/registration/mail/mailtest"

	millmail "github.com/millrace/millrace/examples/registration/mail"
	"github.com/millrace/millrace/internal/router"
)

// startSMTP runs a go-smtp server on 127.0.0.1:0 that answers RCPT TO with reply (nil
// accepts the email) and returns its address and the Message-IDs it accepted.
func startSMTP(t *testing.T, reply *smtp.SMTPError) (string, func() []string) {
	t.Helper()
	var (
		mu  sync.Mutex
		ids []string
	)
	addr := mailtest.Serve(t, smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{reply: reply, accept: func(id string) { mu.Lock(); ids = append(ids, id); mu.Unlock() }}, nil
	}))
	return addr, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), ids...) }
}

type session struct {
	reply  *smtp.SMTPError
	accept func(messageID string)
}

func (s *session) Reset()                               {}
func (s *session) Logout() error                        { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error {
	if s.reply != nil {
		return s.reply
	}
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "Message-ID: "); ok {
			s.accept(strings.TrimSpace(v))
		}
	}
	return nil
}

func newSMTP(t *testing.T, addr string) *millmail.SMTP {
	t.Helper()
	s, err := millmail.NewSMTP(millmail.SMTPConfig{Addr: addr, From: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSMTPReplyClassification checks RFC 5321's rule: a 5xx reply is a permanent
// error (the router poisons the message at once, with the reply as the reason), a 4xx
// reply and an unreachable server are transient.
func TestSMTPReplyClassification(t *testing.T) {
	msg := millmail.Message{To: "b@example.com", Subject: "s", Text: "t"}
	for _, c := range []struct {
		name      string
		reply     *smtp.SMTPError
		permanent bool
		code      int
	}{
		{"550", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}, true, 550},
		{"554", &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "relay denied"}, true, 554},
		{"451", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}, false, 451},
		{"452", &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}, false, 452},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr, _ := startSMTP(t, c.reply)
			err := newSMTP(t, addr).Send(context.Background(), msg)
			var rej *millmail.RejectedError
			if !errors.As(err, &rej) {
				t.Fatalf("error %v is not a *RejectedError", err)
			}
			if rej.Code != c.code {
				t.Errorf("code %d, want %d", rej.Code, c.code)
			}
			if got := router.IsPermanent(err); got != c.permanent {
				t.Errorf("permanent %v, want %v: %v", got, c.permanent, err)
			}
			if !strings.Contains(err.Error(), c.reply.Message) {
				t.Errorf("error %q lacks the reply %q", err, c.reply.Message)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		err := newSMTP(t, "127.0.0.1:1").Send(context.Background(), msg)
		if err == nil || router.IsPermanent(err) {
			t.Errorf("error %v: want a transient error", err)
		}
	})
}

// TestSMTPPing checks that Ping succeeds against a server that greets and fails
// against a closed port.
func TestSMTPPing(t *testing.T) {
	addr, _ := startSMTP(t, nil)
	if err := newSMTP(t, addr).Ping(context.Background()); err != nil {
		t.Errorf("ping %s: %v", addr, err)
	}
	if err := newSMTP(t, "127.0.0.1:1").Ping(context.Background()); err == nil {
		t.Error("ping of a closed port succeeded")
	}
}

// TestLoggedNamesMessageAndUser checks that a sent email is logged with the
// Message-ID it carried and the user id, never the address, and that a refused one is
// not logged as sent.
func TestLoggedNamesMessageAndUser(t *testing.T) {
	addr, accepted := startSMTP(t, nil)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	s := millmail.Logged(newSMTP(t, addr), logger)
	if err := s.Send(context.Background(), millmail.Message{To: "ada@example.com", Subject: "Hi", Text: "t", UserID: "u-1"}); err != nil {
		t.Fatal(err)
	}
	ids := accepted()
	if len(ids) != 1 {
		t.Fatalf("%d emails accepted, want 1", len(ids))
	}
	line := buf.String()
	id := strings.Trim(ids[0], "<>")
	for _, want := range []string{"level=INFO", `msg="email sent"`, "message_id=" + id, "user_id=u-1"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "ada@example.com") {
		t.Errorf("log names the address: %q", line)
	}
	buf.Reset()
	if err := millmail.Logged(newSMTP(t, "127.0.0.1:1"), logger).Send(context.Background(), millmail.Message{To: "b@example.com", Subject: "s", Text: "t"}); err == nil {
		t.Fatal("send to a closed port succeeded")
	}
	if strings.Contains(buf.String(), "email sent") {
		t.Errorf("a failed send is logged as sent: %q", buf.String())
	}
}
