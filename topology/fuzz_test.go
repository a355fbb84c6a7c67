package topology_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/millrace/millrace/topology"
)

// valid are well-formed topology files for the fuzz corpus.
var valid = []string{
	withBase(
		"  users.registered: {transport: rabbit, outbox: pg}",
		"  chat.messages: {transport: mem, delivery: broadcast}",
		"  tenant.*.orders: {transport: pg}",
		"  tenant.acme.orders: {transport: mem}",
		"defaults:",
		"  retry: {max_attempts: 3, initial_interval: 10ms, max_interval: 1s, multiplier: 1.5}",
		"  poison: {topic: '{topic}.poison'}",
		"handlers:",
		"  mailer: {topic: 'users.*', concurrency: 2, timeout: 5s}",
		"  orders: {topic: tenant.beta.orders, poison: {topic: '{handler}.dead'}}",
		"  chat: {topic: chat.messages, group: chat, poison: {topic: ''}}",
	),
	lines(
		"version: 1",
		"transports:",
		`  r: {kind: redisstream, addr: "${ADDR:-h:1}", password: "$${x}", db: 2, maxlen: 10}`,
		"topics:",
		"  a: {transport: r}",
		"handlers:",
		"  h: {topic: a}",
	),
}

// FuzzParse checks that Parse never panics and that it either returns a topology whose
// references all hold, or problems that all have a position.
func FuzzParse(f *testing.F) {
	for _, s := range valid {
		f.Add([]byte(s))
	}
	for _, c := range append(slices.Clip(malformed), badRoutes...) {
		f.Add([]byte(c.src))
	}
	if files, err := filepath.Glob("../config/*.yaml"); err == nil {
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tp, err := topology.ParseWithEnv("f.yaml", data, func(k string) (string, bool) {
			if k == "SET" {
				return "v", true
			}
			return "", false
		})
		if err != nil {
			var list topology.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %T %v", err, err)
			}
			for _, e := range list {
				if e.Line < 1 || e.Col < 1 || e.File != "f.yaml" || e.Msg == "" {
					t.Fatalf("problem without a position or message: %#v", e)
				}
			}
			return
		}
		if tp == nil {
			t.Fatal("nil topology and nil error")
		}
		checkInvariants(t, tp)
	})
}

func TestValidCorpusLoads(t *testing.T) {
	for i, s := range valid {
		tp, err := topology.ParseWithEnv("v.yaml", []byte(s), noEnv)
		if err != nil {
			t.Errorf("valid[%d]: %v", i, err)
			continue
		}
		checkInvariants(t, tp)
	}
}
