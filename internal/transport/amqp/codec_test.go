package amqp_test

import (
	"maps"
	"strings"
	"testing"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v2/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/millrace/millrace/internal/metadata"
	mamqp "github.com/millrace/millrace/internal/transport/amqp"
)

// deliver turns a publishing into the delivery a consumer would receive.
func deliver(p amqp.Publishing) amqp.Delivery {
	return amqp.Delivery{
		Headers: p.Headers, ContentType: p.ContentType, DeliveryMode: p.DeliveryMode,
		CorrelationId: p.CorrelationId, MessageId: p.MessageId, Timestamp: p.Timestamp,
		Type: p.Type, AppId: p.AppId, Body: p.Body,
	}
}

func TestAMQPMarshalerRoundTrips(t *testing.T) {
	newEvent := func() *message.Message {
		m := message.NewMessage("0f8fad5b-d9cb-469f-a165-70867728950e", []byte(`{"n":1}`))
		m.Metadata = message.Metadata{
			metadata.KeyID: m.UUID, metadata.KeyType: "users.registered.v1", metadata.KeySource: "users",
			metadata.KeyTime: "2026-11-24T18:26:16.123456789Z", metadata.KeySpecVersion: metadata.SpecVersion,
			metadata.KeyDataContentType: metadata.DataContentType, metadata.KeyCorrelationID: "corr-1",
			metadata.KeyCausationID: "cause-1", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		}
		return m
	}
	plain := message.NewMessage("plain-1", []byte("raw"))
	plain.Metadata.Set("key", "value")
	foreignID := newEvent()
	foreignID.Metadata.Set(metadata.KeyID, "another-id")
	long := message.NewMessage("long-1", nil)
	long.Metadata.Set(metadata.KeyType, strings.Repeat("t", 300))
	noMetadata := message.NewMessage("bare-1", []byte("x"))

	for name, msg := range map[string]*message.Message{
		"event": newEvent(), "plain": plain, "ce_id differs from uuid": foreignID,
		"value too long for a property": long, "no metadata": noMetadata,
	} {
		t.Run(name, func(t *testing.T) {
			p, err := mamqp.Marshaler{}.Marshal(msg)
			if err != nil {
				t.Fatal(err)
			}
			if p.DeliveryMode != amqp.Persistent {
				t.Errorf("delivery mode %d, want persistent", p.DeliveryMode)
			}
			got, err := mamqp.Marshaler{}.Unmarshal(deliver(p))
			if err != nil {
				t.Fatal(err)
			}
			if got.UUID != msg.UUID || string(got.Payload) != string(msg.Payload) {
				t.Errorf("got %s %q, want %s %q", got.UUID, got.Payload, msg.UUID, msg.Payload)
			}
			if !maps.Equal(got.Metadata, msg.Metadata) {
				t.Errorf("metadata\n got %v\nwant %v", got.Metadata, msg.Metadata)
			}
		})
	}
}

func TestAMQPMarshalerUsesProperties(t *testing.T) {
	msg := message.NewMessage("id-1", nil)
	msg.Metadata = message.Metadata{
		metadata.KeyID: "id-1", metadata.KeyType: "t.v1", metadata.KeySource: "src",
		metadata.KeyDataContentType: "application/json", metadata.KeyCorrelationID: "c-1",
		metadata.KeySpecVersion: "1.0", metadata.KeyTime: "2026-11-24T18:26:16Z",
	}
	p, err := mamqp.Marshaler{NotPersistentDeliveryMode: true}.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	if p.MessageId != "id-1" || p.Type != "t.v1" || p.AppId != "src" || p.ContentType != "application/json" ||
		p.CorrelationId != "c-1" || p.Timestamp.IsZero() || p.DeliveryMode == amqp.Persistent {
		t.Errorf("properties %+v", p)
	}
	want := amqp.Table{metadata.KeySpecVersion: "1.0", metadata.KeyTime: "2026-11-24T18:26:16Z"}
	if !maps.Equal(map[string]any(p.Headers), map[string]any(want)) {
		t.Errorf("headers %v, want only %v", p.Headers, want)
	}
}

// TestAMQPMarshalerReadsWatermillFormat reads a message published with Watermill's
// DefaultMarshaler, as earlier millrace versions did.
func TestAMQPMarshalerReadsWatermillFormat(t *testing.T) {
	msg := message.NewMessage("old-1", []byte("payload"))
	msg.Metadata = message.Metadata{metadata.KeyType: "t.v1", metadata.KeyID: "old-1", metadata.KeySpecVersion: "1.0", "other": "x"}
	p, err := wamqp.DefaultMarshaler{}.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := mamqp.Marshaler{}.Unmarshal(deliver(p))
	if err != nil {
		t.Fatal(err)
	}
	if got.UUID != "old-1" || !maps.Equal(got.Metadata, msg.Metadata) {
		t.Errorf("got %s %v, want old-1 %v", got.UUID, got.Metadata, msg.Metadata)
	}
	bad := deliver(p)
	bad.Headers = amqp.Table{"n": int32(1)}
	if _, err := (mamqp.Marshaler{}).Unmarshal(bad); err == nil {
		t.Error("a non-string header was accepted")
	}
}
