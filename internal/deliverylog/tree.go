package deliverylog

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is returned by Tree when the log has no row of the correlation id.
var ErrNotFound = errors.New("no message of this correlation id in the delivery log")

// Results of a delivery.
const (
	// ResultOK: the handler succeeded, possibly after retries.
	ResultOK = "ok"
	// ResultPoisoned: every attempt failed, or the error was permanent; the message went
	// to the poison topic.
	ResultPoisoned = "poisoned"
	// ResultNacked: the last attempt failed with nowhere to put the message, or the
	// router was stopping; the message is delivered again.
	ResultNacked = "nacked"
	// ResultFiltered: the handler's filter did not match the message, which was acked
	// without calling the handler.
	ResultFiltered = "filtered"
)

// Tree is the causal tree of one correlation id.
type Tree struct {
	CorrelationID string `json:"correlation_id"`
	// Requests are the HTTP requests of the flow, in time order, each with the messages
	// it published.
	Requests []Request `json:"requests,omitempty"`
	// Messages are the roots that are not requests: messages whose cause is neither a
	// message nor a request in the log, in time order.
	Messages []*Message `json:"messages"`
}

// Message is one published message with its handler outcomes and the messages its
// handling published.
type Message struct {
	ID string `json:"id"`
	// Type is the CloudEvents type, e.g. "users.registered.v1"; empty for a message
	// without one.
	Type      string `json:"type,omitempty"`
	Topic     string `json:"topic"`
	Transport string `json:"transport,omitempty"`
	// CausationID is the id of the message whose handling published this one.
	CausationID string `json:"causation_id,omitempty"`
	// PublishedBy is the handler that published it, when it was published while
	// handling a message.
	PublishedBy string `json:"published_by,omitempty"`
	// Time is when it was published (when only its handling was logged: when that
	// ended).
	Time time.Time `json:"time"`
	// Copies are later publishes of the same message: to a poison topic, a replay.
	Copies []Copy `json:"copies,omitempty"`
	// Outcomes are its deliveries to handlers, in time order.
	Outcomes []Outcome `json:"outcomes,omitempty"`
	// Children are the messages published while handling it, in time order.
	Children []*Message `json:"children,omitempty"`
}

// Copy is a later publish of a message already in the tree.
type Copy struct {
	Topic       string    `json:"topic"`
	Transport   string    `json:"transport,omitempty"`
	PublishedBy string    `json:"published_by,omitempty"`
	Time        time.Time `json:"time"`
}

// Outcome is how one delivery of a message to a handler ended.
type Outcome struct {
	Handler string `json:"handler"`
	// Result is ResultOK, ResultPoisoned, ResultNacked or ResultFiltered.
	Result string `json:"result"`
	// Attempts counts the attempts of the delivery, the first included.
	Attempts int `json:"attempts"`
	// Reason is the last attempt's error when the result is not ok.
	Reason string    `json:"reason,omitempty"`
	Time   time.Time `json:"time"`
}

// String describes the outcome: "ok", "ok after 2 retries", "poisoned after 5 attempts:
// smtp: connection refused", or for a filtered delivery "filtered (its filter did not
// match; not called)".
func (o Outcome) String() string {
	switch {
	case o.Result == ResultOK && o.Attempts <= 1:
		return ResultOK
	case o.Result == ResultOK:
		return fmt.Sprintf("ok after %s", plural(o.Attempts-1, "retry", "retries"))
	case o.Result == ResultFiltered:
		return "filtered (its filter did not match; not called)"
	}
	s := fmt.Sprintf("%s after %s", o.Result, plural(o.Attempts, "attempt", "attempts"))
	if o.Reason != "" {
		s += ": " + o.Reason
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// build links the rows of one correlation id, in time order, into its tree.
func build(correlationID string, rows []row) (*Tree, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: %w", correlationID, ErrNotFound)
	}
	byID := map[string]*Message{}
	published := map[string]bool{}
	var order []*Message
	node := func(r row) *Message {
		m, ok := byID[r.messageID]
		if !ok {
			m = &Message{ID: r.messageID, Type: r.eventType, Topic: r.topic, Transport: r.transport, CausationID: r.causationID, Time: time.Unix(0, r.atNanos).UTC()}
			byID[r.messageID] = m
			order = append(order, m)
		}
		return m
	}
	t := &Tree{CorrelationID: correlationID}
	for _, r := range rows {
		at := time.Unix(0, r.atNanos).UTC()
		if r.kind == kindRequest {
			status, _ := strconv.Atoi(r.outcome)
			t.Requests = append(t.Requests, Request{ID: r.messageID, Method: r.eventType, Path: r.topic, Status: status, Service: r.handler, Time: at})
			continue
		}
		m := node(r)
		switch r.kind {
		case kindPublish:
			if published[r.messageID] {
				m.Copies = append(m.Copies, Copy{Topic: r.topic, Transport: r.transport, PublishedBy: r.handler, Time: at})
				continue
			}
			published[r.messageID] = true
			m.Type, m.Topic, m.Transport, m.CausationID, m.PublishedBy, m.Time = r.eventType, r.topic, r.transport, r.causationID, r.handler, at
		case kindOutcome:
			m.Outcomes = append(m.Outcomes, Outcome{Handler: r.handler, Result: r.outcome, Attempts: r.attempts, Reason: r.reason, Time: at})
		}
	}
	requests := map[string]*Request{}
	for i := range t.Requests {
		if id := t.Requests[i].ID; id != "" {
			requests[id] = &t.Requests[i]
		}
	}
	parents := map[*Message]*Message{}
	for _, m := range order {
		p, ok := byID[m.CausationID]
		if !ok || m.CausationID == "" || descends(p, m, parents) {
			if req, ok := requests[m.CausationID]; ok && m.CausationID != "" {
				req.Messages = append(req.Messages, m)
				continue
			}
			t.Messages = append(t.Messages, m)
			continue
		}
		parents[m] = p
	}
	// Children in time order: order is the order of first appearance, and a message
	// logged only by its outcome takes the outcome's time, so sort by Time stably.
	for _, m := range order {
		if p, ok := parents[m]; ok {
			p.Children = append(p.Children, m)
		}
	}
	sortByTime(t.Messages)
	for i := range t.Requests {
		sortByTime(t.Requests[i].Messages)
	}
	for _, m := range order {
		sortByTime(m.Children)
	}
	return t, nil
}

// descends reports whether p is m or one of m's descendants through parents, which
// would make linking m under p a cycle.
func descends(p, m *Message, parents map[*Message]*Message) bool {
	for n, i := p, 0; n != nil && i <= len(parents); n, i = parents[n], i+1 {
		if n == m {
			return true
		}
	}
	return false
}

func sortByTime(ms []*Message) {
	// Insertion sort: stable, and the input is nearly always sorted already.
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].Time.Before(ms[j-1].Time); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

var versionSuffix = regexp.MustCompile(`\.(v[0-9]+)$`)

// Title is how WriteText names a message: its type with the version apart
// ("users.registered v1"), or its id when it has no type.
func (m *Message) Title() string {
	if m.Type == "" {
		return "message " + m.ID
	}
	return versionSuffix.ReplaceAllString(m.Type, " $1")
}

// TimeFormat is the layout of the times WriteText prints.
const TimeFormat = "15:04:05.000"

// WriteText prints the tree for people, one line per request, message and outcome,
// the roots in time order, times in loc:
//
//	POST /users -> 201 (users) 12:00:01.100
//	  └ users.registered v1 (topic users.registered via rabbit) 12:00:01.123
//	    └ send-verification-email: ok after 2 retries
//	      └ mail.sent v1 (topic mail.sent via rabbit) 12:00:01.456
//	        └ audit: ok
//	GET /users/verify -> 200 (users) 12:00:09.300
//	  └ users.verified v1 (topic users.verified via rabbit) 12:00:09.310
//	    └ send-welcome-email: ok
//
// A message appears under the request that published it, or under the outcome of the
// handler that published it.
func WriteText(w io.Writer, t *Tree, loc *time.Location) error {
	var b strings.Builder
	reqs, msgs := t.Requests, t.Messages
	for len(reqs) > 0 || len(msgs) > 0 {
		if len(msgs) == 0 || len(reqs) > 0 && !msgs[0].Time.Before(reqs[0].Time) {
			r := reqs[0]
			reqs = reqs[1:]
			fmt.Fprintf(&b, "%s %s -> %d", r.Method, r.Path, r.Status)
			if r.Service != "" {
				fmt.Fprintf(&b, " (%s)", r.Service)
			}
			fmt.Fprintf(&b, " %s\n", r.Time.In(loc).Format(TimeFormat))
			for _, m := range r.Messages {
				writeMessage(&b, m, "  ", "└ ", loc)
			}
			continue
		}
		writeMessage(&b, msgs[0], "", "", loc)
		msgs = msgs[1:]
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMessage(b *strings.Builder, m *Message, indent, prefix string, loc *time.Location) {
	fmt.Fprintf(b, "%s%s%s (topic %s", indent, prefix, m.Title(), m.Topic)
	if m.Transport != "" {
		fmt.Fprintf(b, " via %s", m.Transport)
	}
	fmt.Fprintf(b, ") %s\n", m.Time.In(loc).Format(TimeFormat))
	inner := indent + "  "
	// Each child goes under the last outcome of the handler that published it.
	last := map[string]int{}
	for i, o := range m.Outcomes {
		last[o.Handler] = i
	}
	under := make(map[int][]*Message)
	var loose []*Message
	for _, c := range m.Children {
		if i, ok := last[c.PublishedBy]; ok && c.PublishedBy != "" {
			under[i] = append(under[i], c)
			continue
		}
		loose = append(loose, c)
	}
	for i, o := range m.Outcomes {
		fmt.Fprintf(b, "%s└ %s: %s", inner, o.Handler, o)
		if o.Result == ResultPoisoned {
			fmt.Fprintf(b, " (millrace poison show %s)", m.ID)
		}
		b.WriteByte('\n')
		for _, c := range under[i] {
			writeMessage(b, c, inner+"  ", "└ ", loc)
		}
	}
	for _, c := range m.Copies {
		fmt.Fprintf(b, "%s└ copied to topic %s", inner, c.Topic)
		if c.Transport != "" {
			fmt.Fprintf(b, " via %s", c.Transport)
		}
		fmt.Fprintf(b, " %s\n", c.Time.In(loc).Format(TimeFormat))
	}
	for _, c := range loose {
		writeMessage(b, c, inner, "└ ", loc)
	}
}
