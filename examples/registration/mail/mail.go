package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// HeaderCorrelationID is the header that carries the correlation id.
const HeaderCorrelationID = "X-Correlation-ID"

// Message is one email.
type Message struct {
	To      string
	Subject string
	// Text is the plain-text body.
	Text string
	// CorrelationID goes into the X-Correlation-ID header when set.
	CorrelationID string
	// Link is the main link of the email, if any (the development sink logs it).
	Link string
	// MessageID is the Message-ID header without its angle brackets; a random one is
	// generated when it is empty.
	MessageID string
	// UserID names the user the email is for in logs, which never show the address. It
	// is not part of the email.
	UserID string
}

// Sender sends an email. An error means the email may not have been accepted; a
// permanent one (see RejectedError) means sending it again cannot succeed.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// RejectedError is an SMTP server's refusal of an email: the reply code and the
// error carrying the reply's text.
type RejectedError struct {
	// Code is the SMTP reply code, 4xx or 5xx.
	Code int
	Err  error
}

func (e *RejectedError) Error() string { return e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }

// Permanent reports whether the reply is a 5xx one, which RFC 5321 makes permanent:
// the same email gets the same answer. 4xx replies are transient.
func (e *RejectedError) Permanent() bool { return e.Code >= 500 && e.Code <= 599 }

// Sent is published after an email has been accepted for delivery.
type Sent struct {
	To       string    `json:"to"`
	Subject  string    `json:"subject"`
	Template string    `json:"template"`
	UserID   string    `json:"user_id,omitempty"`
	SentAt   time.Time `json:"sent_at"`
}

// EventName is "mail.sent".
func (Sent) EventName() string { return "mail.sent" }

// EventVersion is 1.
func (Sent) EventVersion() int { return 1 }

// build returns m as a go-mail message from from.
func build(from string, m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("mail: sender %q: %w", from, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail: recipient %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	if m.CorrelationID != "" {
		msg.SetGenHeader(gomail.Header(HeaderCorrelationID), m.CorrelationID)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	return msg, nil
}

// SMTPConfig configures an SMTP sender.
type SMTPConfig struct {
	// Addr is the server's host:port.
	Addr string
	// From is the sender address.
	From string
	// Timeout bounds connecting and each SMTP command (default 10s).
	Timeout time.Duration
	// RequireTLS refuses to send without STARTTLS; by default STARTTLS is used when
	// the server offers it.
	RequireTLS bool
}

// Validate reports every problem of the config.
func (c SMTPConfig) Validate() error {
	var errs []error
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("smtp address %q: %w", c.Addr, err))
	} else if _, err := strconv.Atoi(port); err != nil {
		errs = append(errs, fmt.Errorf("smtp address %q: bad port", c.Addr))
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("sender address %q: %w", c.From, err))
	}
	return errors.Join(errs...)
}

// SMTP sends emails to an SMTP server, one connection per email.
type SMTP struct {
	cfg  SMTPConfig
	host string
	port int
}

// NewSMTP returns an SMTP sender.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	host, port, _ := net.SplitHostPort(cfg.Addr)
	p, _ := strconv.Atoi(port)
	return &SMTP{cfg: cfg, host: host, port: p}, nil
}

// Send delivers m. Connection failures are returned as errors, and replies refusing
// the email as a *RejectedError: permanent for a 5xx reply, transient for a 4xx one.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := build(s.cfg.From, m)
	if err != nil {
		return err
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		err = fmt.Errorf("mail: send to %s via %s: %w", m.To, s.cfg.Addr, err)
		var se *gomail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 400 {
			return &RejectedError{Code: se.ErrorCode(), Err: err}
		}
		return err
	}
	return nil
}

// Ping connects to the server and greets it with EHLO (and STARTTLS when the TLS
// policy asks for it), then quits: what a send does before its first email.
func (s *SMTP) Ping(ctx context.Context) error {
	c, err := s.client()
	if err != nil {
		return err
	}
	if err := c.DialWithContext(ctx); err != nil {
		return fmt.Errorf("mail: smtp server %s: %w", s.cfg.Addr, err)
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("mail: smtp server %s: quit: %w", s.cfg.Addr, err)
	}
	return nil
}

// Addr returns the server's host:port.
func (s *SMTP) Addr() string { return s.cfg.Addr }

func (s *SMTP) client() (*gomail.Client, error) {
	policy := gomail.TLSOpportunistic
	if s.cfg.RequireTLS {
		policy = gomail.TLSMandatory
	}
	c, err := gomail.NewClient(s.host, gomail.WithPort(s.port), gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSPolicy(policy))
	if err != nil {
		return nil, fmt.Errorf("mail: smtp client: %w", err)
	}
	return c, nil
}

var _ Sender = (*SMTP)(nil)
