package cli

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/spf13/cobra"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/metadata"
	"github.com/millrace/millrace/topology"
)

func newTailCommand() *cobra.Command {
	var (
		flags                topologyFlags
		topic, group, format string
	)
	cmd := &cobra.Command{
		Use:   "tail --topic T [--group G]",
		Short: "Print the messages of a topic as they arrive, until interrupted",
		Long: `Tail subscribes to --topic through the topology and prints each message as one JSON
line until it is interrupted (SIGINT or SIGTERM).

Without --group it reads like a broadcast subscriber: a new group tail-<random> with
the topic's delivery switched to broadcast, so it takes nothing from the topic's
consumer groups and sees only what is published after it starts: on RabbitMQ an
auto-delete queue <topic>.tail-<random>.<instance>, on Redis a consumer group created at
the end of the stream (it stays in Redis afterwards: XGROUP DESTROY removes it), on
PostgreSQL and MySQL a group that starts at the last committed row. On SQLite a new
broadcast group starts at the first row, so tail prints the topic's history first.

With --group G it consumes as a member of group G with the topic's own delivery: on a
shared topic it competes with G's other consumers and acknowledges (takes) what it
prints, and a group G new to a SQL or Redis topic starts at the topic's first message,
so tail prints the history too.

--format json prints {"uuid","topic","metadata","payload"}; --format cloudevents prints
a CloudEvents 1.0 JSON event built from the ce_* metadata (other metadata become
extension attributes).

A topic on the in-memory transport is refused: its messages live inside each service's
process, so another process sees none of them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if topic == "" {
				return errors.New("--topic is required")
			}
			if format != "json" && format != "cloudevents" {
				return fmt.Errorf("--format %q: want json or cloudevents", format)
			}
			t, err := flags.load(cmd)
			if err != nil {
				return err
			}
			if err := refuseInMemory(t, topic, "a subscription"); err != nil {
				return Fail(err)
			}
			if group == "" {
				group = "tail-" + randomSuffix()
				if err := broadcast(t, topic); err != nil {
					return Fail(err)
				}
			}
			b, cleanup, err := bus.Provide(t, warnLogger(cmd))
			if err != nil {
				return Fail(err)
			}
			defer cleanup()
			return Fail(tail(cmd, b, topic, group, format))
		},
	}
	flags.add(cmd)
	cmd.Flags().StringVar(&topic, "topic", "", "topic to read (required)")
	cmd.Flags().StringVar(&group, "group", "", "consume as this consumer group (default: a new broadcast group tail-<random>)")
	cmd.Flags().StringVar(&format, "format", "json", "output format: json or cloudevents")
	return cmd
}

// broadcast makes topic's entry in t deliver to every instance, for this process only.
func broadcast(t *topology.Topology, topic string) error {
	entry, err := t.Resolve(topic)
	if err != nil {
		return err
	}
	entry.Delivery = topology.Broadcast
	return nil
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(cmd *cobra.Command, b *bus.Bus, topic, group, format string) error {
	ctx := cmd.Context()
	sub, err := b.NewSubscriber(group)
	if err != nil {
		return err
	}
	defer sub.Close()
	msgs, err := sub.Subscribe(ctx, topic)
	if err != nil {
		return fmt.Errorf("subscribe to %s: %w", topic, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "millrace: tailing %s as group %s (interrupt to stop)\n", topic, group)
	enc := json.NewEncoder(cmd.OutOrStdout())
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-msgs:
			if !ok {
				return nil
			}
			err := writeMessage(enc, topic, format, msg)
			msg.Ack()
			if err != nil {
				return err
			}
		}
	}
}

// writeMessage prints msg in format as one JSON line.
func writeMessage(enc *json.Encoder, topic, format string, msg *message.Message) error {
	if format == "cloudevents" {
		return enc.Encode(cloudEvent(msg))
	}
	return enc.Encode(struct {
		UUID     string            `json:"uuid"`
		Topic    string            `json:"topic"`
		Metadata map[string]string `json:"metadata"`
		Payload  json.RawMessage   `json:"payload"`
	}{msg.UUID, topic, msg.Metadata, payloadJSON(msg.Payload)})
}

// cloudEvent is the CloudEvents 1.0 structured JSON form of msg: the ce_* metadata as
// attributes, the other metadata as extension attributes (names lowercased with
// anything but letters and digits removed, as the specification requires), the payload
// as data (data_base64 when it is not JSON).
func cloudEvent(msg *message.Message) map[string]any {
	ce := map[string]any{}
	for k, v := range msg.Metadata {
		if name, ok := strings.CutPrefix(k, "ce_"); ok {
			ce[name] = v
			continue
		}
		if name := extensionName(k); name != "" {
			if _, taken := ce[name]; !taken {
				ce[name] = v
			}
		}
	}
	if _, ok := ce["id"]; !ok {
		ce["id"] = msg.UUID
	}
	if _, ok := ce["specversion"]; !ok {
		ce["specversion"] = metadata.SpecVersion
	}
	if json.Valid(msg.Payload) && len(msg.Payload) > 0 {
		ce["data"] = json.RawMessage(msg.Payload)
	} else {
		ce["data_base64"] = msg.Payload // []byte encodes as base64
	}
	return ce
}

func extensionName(key string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(key) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
