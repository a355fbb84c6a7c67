package throughput

import (
	"fmt"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-amqp/v2/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/internal/transport"
	"github.com/millrace/millrace/internal/transport/transporttest"
)

// BenchmarkAMQPPublish publishes to one RabbitMQ exchange from 16 goroutines with
// Watermill's default durable publisher (a channel opened and closed per publish, no
// confirms) and with millrace's (publisher confirms over a pool of 16 channels), and
// reports msgs/s for each. Run both in one invocation to compare them:
//
//	go test ./internal/throughput -run '^$' -bench AMQPPublish -benchtime 5000x
func BenchmarkAMQPPublish(b *testing.B) {
	url := testenv.RabbitMQ(b)
	b.Run("watermill-default", func(b *testing.B) {
		cfg := amqp.NewDurablePubSubConfig(url, amqp.GenerateQueueNameTopicNameWithSuffix("bench"))
		pub, err := amqp.NewPublisher(cfg, watermill.NopLogger{})
		if err != nil {
			b.Fatal(err)
		}
		defer pub.Close()
		benchPublish(b, pub)
	})
	b.Run("millrace-confirms", func(b *testing.B) {
		tr, err := transport.New(transporttest.Parse(b, "rabbit", fmt.Sprintf(
			"{kind: amqp, url: %q, prefetch: 64, confirms: true, channel_pool: 16, durable: true}", url)), watermill.NopLogger{})
		if err != nil {
			b.Fatal(err)
		}
		defer tr.Close()
		pub, err := tr.NewPublisher()
		if err != nil {
			b.Fatal(err)
		}
		defer pub.Close()
		benchPublish(b, pub)
	})
}

// benchPublish publishes b.N small messages to a fresh topic from 16 goroutines and
// reports msgs/s.
func benchPublish(b *testing.B, pub message.Publisher) {
	topic := "bench.publish." + randomSuffix()
	payload := []byte(`{"n":1,"text":"tick"}`)
	// The first publish declares the exchange; keep it out of the measurement.
	if err := pub.Publish(topic, message.NewMessage(watermill.NewUUID(), payload)); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := pub.Publish(topic, message.NewMessage(watermill.NewUUID(), payload)); err != nil {
				b.Error(fmt.Errorf("publish: %w", err))
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
