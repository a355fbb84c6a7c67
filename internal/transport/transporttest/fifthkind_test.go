package transporttest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/millrace/millrace/internal/bus"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/internal/transport/memory"
	"github.com/millrace/millrace/topology"
)

// The fifth-kind check: a transport kind registered from this test package alone (a
// wrapper around the in-memory transport, kind "echo") loads from YAML with its own
// settings, is validated with positions and passes Watermill's universal suite through
// the routed bus.

const kindEcho topology.Kind = "echo"

// echoSettings are the settings of an echo transport.
type echoSettings struct {
	Label       string
	MaxMessages int64
}

// echoTransport is an in-memory transport that reports kind echo.
type echoTransport struct{ transport.Transport }

func (echoTransport) Kind() topology.Kind { return kindEcho }

func init() {
	topology.RegisterKind(kindEcho, topology.KindSpec{
		Keys: []string{"label", "max_messages"},
		Decode: func(s *topology.Settings) any {
			c := &echoSettings{MaxMessages: 100}
			c.Label, _ = s.Required("label", " (a name for logs)")
			if v, ok := s.Int("max_messages", 1); ok {
				c.MaxMessages = v
			}
			return c
		},
	})
	transport.Register(transport.Kind{
		Name:      kindEcho,
		InProcess: true,
		Open: func(cfg *topology.Transport, logger watermill.LoggerAdapter) (transport.Transport, error) {
			if _, ok := cfg.Settings.(*echoSettings); !ok {
				return nil, errors.New("echo: missing settings")
			}
			return echoTransport{memory.New(cfg.Name, logger)}, nil
		},
	})
}

func TestFifthKindLoads(t *testing.T) {
	t.Setenv("ECHO_LABEL", "from-env")
	topo, err := topology.Parse("fifth.yaml", []byte(`version: 1
transports:
  e: {kind: echo, label: "${ECHO_LABEL}", max_messages: 7}
topics:
  orders.placed: {transport: e}
`))
	if err != nil {
		t.Fatal(err)
	}
	tr := topo.Transports["e"]
	if tr.Kind != kindEcho {
		t.Fatalf("kind = %q, want echo", tr.Kind)
	}
	if got, ok := tr.Settings.(*echoSettings); !ok || *got != (echoSettings{Label: "from-env", MaxMessages: 7}) {
		t.Errorf("settings = %#v, want label from-env, max_messages 7", tr.Settings)
	}
}

func TestFifthKindValidatedWithPositions(t *testing.T) {
	_, err := topology.Parse("fifth.yaml", []byte(`version: 1
transports:
  e:
    kind: echo
    lable: x
    max_messages: 0
`))
	if err == nil {
		t.Fatal("a bad echo transport loads")
	}
	for _, want := range []string{
		`fifth.yaml:5:5: transports.e.lable: unknown key "lable" in transports.e; did you mean "label"?`,
		`fifth.yaml:3:3: transports.e.label: label is required (a name for logs)`,
		`fifth.yaml:6:19: transports.e.max_messages:`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors %q do not contain %q", err, want)
		}
	}
}

func TestFifthKindPubSub(t *testing.T) {
	parsed, err := topology.Parse("fifth.yaml", []byte("version: 1\ntransports:\n  e: {kind: echo, label: suite}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tr := parsed.Transports["e"]
	topo := &topology.Topology{
		File:       "fifth.yaml",
		Version:    1,
		Transports: map[string]*topology.Transport{tr.Name: tr},
		Topics:     []*topology.Topic{{Name: "*", Transport: tr.Name, Delivery: topology.Shared}},
	}
	b, err := bus.Open(topo, bus.Options{Logger: watermill.NopLogger{}})
	if err != nil {
		t.Fatalf("open bus: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close bus: %v", err)
		}
	})
	constructor := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		pub, pubErr := b.NewPublisher()
		sub, subErr := b.NewSubscriber(group)
		if err := errors.Join(pubErr, subErr); err != nil {
			t.Fatal(err)
		}
		return pub, sub
	}
	tests.TestPubSub(t, tests.Features{ConsumerGroups: true, GuaranteedOrderWithSingleSubscriber: true},
		func(t *testing.T) (message.Publisher, message.Subscriber) { return constructor(t, "suite") },
		constructor,
	)
}
