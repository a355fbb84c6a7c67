package redisstream_test

import (
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/transport/redisstream"
	"github.com/millrace/millrace/internal/transport/transporttest"
)

func TestSettingsDefaults(t *testing.T) {
	tr := transporttest.Parse(t, "redis", `{kind: redisstream, addr: "h:6379", password: hunter2, db: 2}`)
	want := redisstream.Settings{Addr: "h:6379", Password: "hunter2", DB: 2, BlockTime: 100 * time.Millisecond,
		ClaimInterval: 5 * time.Second, MinIdleTime: time.Minute}
	got, ok := tr.Settings.(*redisstream.Settings)
	if !ok || *got != want {
		t.Fatalf("settings = %#v, want %#v", tr.Settings, want)
	}
	if s := got.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "addr=h:6379 db=2") {
		t.Errorf("String() = %q, want addr and db, no password", s)
	}
	o, ok := redisstream.ClientOptions(tr)
	if !ok || o.Addr != "h:6379" || o.Password != "hunter2" || o.DB != 2 {
		t.Errorf("ClientOptions = %+v, %v", o, ok)
	}
	if _, ok := redisstream.ClientOptions(transporttest.Parse(t, "m", `{kind: gochannel}`)); ok {
		t.Error("ClientOptions of an in-memory transport")
	}
}
