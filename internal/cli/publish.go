package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/spf13/cobra"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/metadata"
)

// EventSource is the CloudEvents source (ce_source) of the messages `millrace publish`
// sends unless --source says otherwise.
const EventSource = "millrace-cli"

func newPublishCommand() *cobra.Command {
	var (
		flags                                   topologyFlags
		topic, typ, data, correlationID, source string
	)
	cmd := &cobra.Command{
		Use:   "publish --topic T --type TYPE --data JSON|@FILE",
		Short: "Publish one event to a topic through the topology",
		Long: `Publish sends one message to --topic on the transport the topology gives it. The
payload is --data, JSON given inline or read from a file with @FILE (@- reads stdin).
The message carries the CloudEvents attributes of millrace events: ce_type is --type as
given (such as users.registered.v1), ce_source is --source, and the correlation id is
--correlation-id or a new one. It prints the message id and correlation id.

A topic on the in-memory transport is refused: its messages live inside each service's
process, so nothing another process publishes reaches them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs []error
			if topic == "" {
				errs = append(errs, errors.New("--topic is required"))
			}
			if typ == "" {
				errs = append(errs, errors.New("--type is required"))
			}
			if data == "" {
				errs = append(errs, errors.New("--data is required"))
			}
			if err := errors.Join(errs...); err != nil {
				return err
			}
			payload, err := readData(cmd, data)
			if err != nil {
				return err
			}
			if !json.Valid(payload) {
				return fmt.Errorf("--data is not valid JSON")
			}
			if correlationID == "" {
				correlationID = correlation.New()
			}
			msg := newEventMessage(typ, source, correlationID, payload)

			topo, err := flags.load(cmd)
			if err != nil {
				return err
			}
			if err := refuseInMemory(topo, topic, "a message published"); err != nil {
				return Fail(err)
			}
			b, cleanup, err := bus.Provide(topo, warnLogger(cmd))
			if err != nil {
				return Fail(err)
			}
			defer cleanup()
			if err := b.Publisher().Publish(topic, msg); err != nil {
				return Fail(fmt.Errorf("publish to %s: %w", topic, err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "published %s to %s (correlation id %s)\n", msg.UUID, topic, correlationID)
			return nil
		},
	}
	flags.addTopology(cmd) // --data is the payload here
	cmd.Flags().StringVar(&topic, "topic", "", "topic to publish to (required)")
	cmd.Flags().StringVar(&typ, "type", "", "event type, the ce_type attribute, such as users.registered.v1 (required)")
	cmd.Flags().StringVar(&data, "data", "", "JSON payload, or @FILE to read it from a file, @- from stdin (required)")
	cmd.Flags().StringVar(&correlationID, "correlation-id", "", "correlation id (default: a new one)")
	cmd.Flags().StringVar(&source, "source", EventSource, "the ce_source attribute")
	return cmd
}

// readData returns the --data value: inline, or the content of @FILE (@- is stdin).
func readData(cmd *cobra.Command, data string) ([]byte, error) {
	name, ok := strings.CutPrefix(data, "@")
	if !ok {
		return []byte(data), nil
	}
	if name == "-" {
		b, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return nil, Fail(fmt.Errorf("read stdin: %w", err))
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("--data: %w", err)
	}
	return b, nil
}

// newEventMessage builds a message with the CloudEvents attributes of package event.
func newEventMessage(typ, source, correlationID string, payload []byte) *message.Message {
	msg := message.NewMessage(watermill.NewUUID(), payload)
	msg.Metadata.Set(metadata.KeyID, msg.UUID)
	msg.Metadata.Set(metadata.KeyType, typ)
	msg.Metadata.Set(metadata.KeySource, source)
	msg.Metadata.Set(metadata.KeyTime, time.Now().UTC().Format(time.RFC3339Nano))
	msg.Metadata.Set(metadata.KeySpecVersion, metadata.SpecVersion)
	msg.Metadata.Set(metadata.KeyCorrelationID, correlationID)
	return msg
}
