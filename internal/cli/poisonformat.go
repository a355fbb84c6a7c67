package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/millrace/millrace/internal/event"
	"github.com/millrace/millrace/internal/poison"
)

// reasonWidth is how much of a reason the table shows.
const reasonWidth = 60

func writeEntriesTable(out io.Writer, entries []poison.Entry) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTOPIC\tHANDLER\tATTEMPTS\tPOISONED AT\tREASON")
	for _, e := range entries {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", e.ID(), orDash(e.Topic()), orDash(e.Handler()),
			e.Attempts(), formatTime(e.Time()), truncate(oneLine(e.Reason()), reasonWidth))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "%d poisoned message(s)\n", len(entries))
	return err
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// entryJSON is the JSON form of an entry.
type entryJSON struct {
	ID          string            `json:"id"`
	PoisonTopic string            `json:"poison_topic"`
	Topic       string            `json:"topic"`
	Handler     string            `json:"handler"`
	Attempts    int               `json:"attempts"`
	Replayed    int               `json:"replayed"`
	Time        *time.Time        `json:"time,omitempty"`
	Reason      string            `json:"reason"`
	Correlation string            `json:"correlation_id,omitempty"`
	Type        string            `json:"type,omitempty"`
	Metadata    map[string]string `json:"metadata"`
	Payload     json.RawMessage   `json:"payload"`
}

func toJSON(e poison.Entry) entryJSON {
	j := entryJSON{
		ID: e.ID(), PoisonTopic: e.PoisonTopic, Topic: e.Topic(), Handler: e.Handler(),
		Attempts: e.Attempts(), Replayed: e.Replayed(), Reason: e.Reason(),
		Correlation: event.CorrelationID(e.Message), Type: event.MessageType(e.Message),
		Metadata: e.Message.Metadata, Payload: payloadJSON(e.Message.Payload),
	}
	if t := e.Time(); !t.IsZero() {
		t = t.UTC()
		j.Time = &t
	}
	return j
}

// payloadJSON is payload itself if it is JSON, else payload as a JSON string.
func payloadJSON(payload []byte) json.RawMessage {
	if json.Valid(payload) && len(bytes.TrimSpace(payload)) > 0 {
		return json.RawMessage(payload)
	}
	b, _ := json.Marshal(string(payload))
	return b
}

func writeEntriesJSON(out io.Writer, entries []poison.Entry) error {
	list := make([]entryJSON, 0, len(entries))
	for _, e := range entries {
		list = append(list, toJSON(e))
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(list)
}

func writeEntry(out io.Writer, e poison.Entry) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "id:\t%s\n", e.ID())
	fmt.Fprintf(w, "poison topic:\t%s\n", e.PoisonTopic)
	fmt.Fprintf(w, "topic:\t%s\n", orDash(e.Topic()))
	fmt.Fprintf(w, "handler:\t%s\n", orDash(e.Handler()))
	fmt.Fprintf(w, "attempts:\t%d\n", e.Attempts())
	fmt.Fprintf(w, "replayed:\t%d\n", e.Replayed())
	fmt.Fprintf(w, "poisoned at:\t%s\n", formatTime(e.Time()))
	fmt.Fprintf(w, "reason:\t%s\n", e.Reason())
	_ = w.Flush()
	fmt.Fprintln(out, "metadata:")
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	keys := make([]string, 0, len(e.Message.Metadata))
	for k := range e.Message.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s\t%s\n", k, e.Message.Metadata[k])
	}
	_ = w.Flush()
	fmt.Fprintln(out, "payload:")
	fmt.Fprintln(out, prettyPayload(e.Message.Payload))
}

// prettyPayload indents a JSON payload and quotes any other.
func prettyPayload(p []byte) string {
	var buf bytes.Buffer
	if json.Valid(p) && json.Indent(&buf, p, "", "  ") == nil {
		return buf.String()
	}
	return strconv.Quote(string(p))
}
