package deliverylog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/millrace/millrace/internal/deliverylog"
	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/sqldb"
)

// TestFilteredOutcome records a delivery that a handler's filter passed by next to one
// the handler took, on SQLite, and reads both back: the filtered one keeps its result,
// has no attempts and no reason, and the text form says it was filtered.
func TestFilteredOutcome(t *testing.T) {
	t.Parallel()
	topo := storeTopology(t, sqldb.SQLite, filepath.Join(t.TempDir(), "log.db"))
	ctx := context.Background()
	cfg := deliverylog.Config{Topology: topo, Now: newTick().Now, FlushInterval: 10 * time.Millisecond}
	dl, err := deliverylog.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := dl.DecoratePublisher(nopPublisher{})
	if err != nil {
		t.Fatal(err)
	}

	corr := "corr-" + watermill.NewShortUUID()
	reg := newMessage("users.registered.v1", corr, "")
	if err := pub.Publish("users.registered", reg); err != nil {
		t.Fatal(err)
	}
	// The filter of welcome does not match: the delivery ends without an attempt.
	welcome := router.Registration{Handler: "welcome", Topic: "users.registered", MaxAttempts: 3}
	_, end := dl.StartDelivery(ctx, welcome, reg)
	end(router.OutcomeFiltered)
	// audit takes it.
	audit := router.Registration{Handler: "audit", Topic: "users.registered", MaxAttempts: 3}
	dctx, end := dl.StartDelivery(ctx, audit, reg)
	_, endAttempt := dl.StartAttempt(dctx, audit, reg, 1)
	endAttempt(router.OutcomeOK, nil)
	end(router.OutcomeOK)
	// A message published elsewhere (not in this log) that welcome's filter passed by.
	foreign := newMessage("mail.sent.v1", corr, reg.UUID)
	_, end = dl.StartDelivery(ctx, router.Registration{Handler: "welcome", Topic: "mail.sent", MaxAttempts: 3}, foreign)
	end(router.OutcomeFiltered)

	_, tree := closeAndRead(t, dl, cfg, corr)
	if len(tree.Messages) != 1 {
		t.Fatalf("roots = %d, want 1 (users.registered): %+v", len(tree.Messages), tree.Messages)
	}
	root := tree.Messages[0]
	if len(root.Outcomes) != 2 {
		t.Fatalf("outcomes = %+v, want welcome and audit", root.Outcomes)
	}
	if o := root.Outcomes[0]; o.Handler != "welcome" || o.Result != deliverylog.ResultFiltered || o.Attempts != 0 || o.Reason != "" {
		t.Errorf("welcome outcome = %+v, want result %q, no attempts, no reason", o, deliverylog.ResultFiltered)
	}
	if o := root.Outcomes[1]; o.Handler != "audit" || o.Result != deliverylog.ResultOK || o.Attempts != 1 {
		t.Errorf("audit outcome = %+v, want ok after 1 attempt", o)
	}
	if len(root.Children) != 1 || root.Children[0].ID != foreign.UUID {
		t.Fatalf("children = %+v, want the mail.sent message known by its outcome", root.Children)
	}
	if o := root.Children[0].Outcomes; len(o) != 1 || o[0].Result != deliverylog.ResultFiltered {
		t.Errorf("mail.sent outcomes = %+v, want one filtered", o)
	}

	js, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`{"handler":"welcome","result":"filtered","attempts":0,`)) {
		t.Errorf("JSON tree lacks the filtered outcome of welcome:\n%s", js)
	}

	var buf bytes.Buffer
	if err := deliverylog.WriteText(&buf, tree, time.UTC); err != nil {
		t.Fatal(err)
	}
	want := "users.registered v1 (topic users.registered via rabbit) 12:00:01.001\n" +
		"  └ welcome: filtered (its filter did not match; not called)\n" +
		"  └ audit: ok\n" +
		"  └ mail.sent v1 (topic mail.sent) 12:00:01.004\n" +
		"    └ welcome: filtered (its filter did not match; not called)\n"
	if buf.String() != want {
		t.Errorf("tree:\n%s\nwant:\n%s", buf.String(), want)
	}
}
