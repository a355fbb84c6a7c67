package amqp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/transport/amqp"
	"github.com/millrace/millrace/internal/transport/transporttest"
	"github.com/millrace/millrace/topology"
)

func TestSettingsDefaults(t *testing.T) {
	tr := transporttest.Parse(t, "rabbit", `{kind: amqp, url: "amqp://guest:hunter2@h/"}`)
	want := amqp.Settings{URL: "amqp://guest:hunter2@h/", Prefetch: 64, Confirms: true, ChannelPool: 16, Durable: true,
		ReconnectInitial: 500 * time.Millisecond, ReconnectMax: 10 * time.Second}
	got, ok := tr.Settings.(*amqp.Settings)
	if !ok || *got != want {
		t.Fatalf("settings = %#v, want %#v", tr.Settings, want)
	}
	if s := got.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "url=amqp://guest:****@h/ prefetch=64") {
		t.Errorf("String() = %q, want the URL masked and the prefetch", s)
	}
	if u, ok := amqp.URL(tr); !ok || u.Reveal() != "amqp://guest:hunter2@h/" {
		t.Errorf("URL = %q, %v", u.Reveal(), ok)
	}
}

func TestSettingsValidated(t *testing.T) {
	_, err := topology.Parse("a.yaml", []byte("version: 1\ntransports:\n  r: {kind: amqp, url: \"http://u:secret@h/\", reconnect_initial: 2s, reconnect_max: 1s, prefetch: 0}\n"))
	if err == nil {
		t.Fatal("bad amqp settings load")
	}
	for _, want := range []string{
		`a.yaml:3:24: transports.r.url: url must start with amqp:// or amqps://, got "http://u:****@h/"`,
		`transports.r.reconnect_max: reconnect_max (1s) must not be less than reconnect_initial (2s)`,
		`transports.r.prefetch:`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors %q do not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("errors show the password: %v", err)
	}
}
