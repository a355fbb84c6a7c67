package registration_test

import (
	"bytes"
	"errors"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/millrace/millrace/examples/registration/mail/mailtest"
)

// email is a message the test SMTP server accepted.
type email struct {
	To            string
	Subject       string
	CorrelationID string
	MessageID     string
	Body          string
}

// smtpServer is a real SMTP server (emersion/go-smtp) on 127.0.0.1:0 that stores what
// it accepts and fails on demand.
type smtpServer struct {
	addr string

	mu       sync.Mutex
	emails   []email
	attempts map[string]int // RCPT attempts per recipient
	// failFirst makes the first n attempts per recipient fail with 451.
	failFirst int
	// reject fails every attempt for these recipients with 550.
	reject map[string]bool
	notify chan struct{}
	// beforeAccept, when set, runs with each email before the server accepts it.
	beforeAccept func(email)
}

func startSMTP(t testing.TB) *smtpServer {
	t.Helper()
	s := &smtpServer{attempts: map[string]int{}, reject: map[string]bool{}, notify: make(chan struct{}, 1)}
	s.addr = mailtest.Serve(t, smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	return s
}

func (s *smtpServer) setFailFirst(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failFirst = n
}

func (s *smtpServer) setReject(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject[addr] = true
}

func (s *smtpServer) attemptsFor(addr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[addr]
}

// to returns the emails accepted for addr.
func (s *smtpServer) to(addr string) []email {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []email
	for _, e := range s.emails {
		if e.To == addr {
			out = append(out, e)
		}
	}
	return out
}

type session struct {
	s  *smtpServer
	to string
}

func (ss *session) Reset()        { ss.to = "" }
func (ss *session) Logout() error { return nil }
func (ss *session) Mail(string, *smtp.MailOptions) error {
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s := ss.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[to]++
	if s.reject[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	if s.attempts[to] <= s.failFirst {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	ss.to = to
	return nil
}

func (ss *session) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		return err
	}
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		if body, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body))); err != nil {
			return err
		}
	}
	if ss.to == "" {
		return errors.New("no recipient")
	}
	e := email{To: ss.to, Subject: msg.Header.Get("Subject"), CorrelationID: msg.Header.Get("X-Correlation-ID"),
		MessageID: msg.Header.Get("Message-ID"), Body: string(body)}
	ss.s.mu.Lock()
	hook := ss.s.beforeAccept
	ss.s.mu.Unlock()
	if hook != nil {
		hook(e)
	}
	ss.s.mu.Lock()
	ss.s.emails = append(ss.s.emails, e)
	ss.s.mu.Unlock()
	select {
	case ss.s.notify <- struct{}{}:
	default:
	}
	return nil
}

// count returns how many emails the server accepted.
func (s *smtpServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.emails)
}
