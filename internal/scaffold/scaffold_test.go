package scaffold

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// newProject returns a minimal project in a temporary folder with the real profiles.
func newProject(t *testing.T) *Project {
	t.Helper()
	root := t.TempDir()
	for _, dir := range []string{"config", "handlers/a", "internal", "cmd"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, root, "go.mod", "module example.com/shop\n\ngo 1.26\n")
	write(t, root, "handlers/a/doc.go", "// Package a holds handlers.\npackage a\n\n// Existing is taken.\nconst Existing = \"existing\"\n")
	profiles, err := filepath.Glob("../../config/*.yaml")
	if err != nil || len(profiles) == 0 {
		t.Fatalf("profiles: %v", err)
	}
	for _, p := range profiles {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		write(t, root, "config/"+filepath.Base(p), string(data))
	}
	p, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if p.Module != "example.com/shop" {
		t.Fatalf("module %q", p.Module)
	}
	return p
}

func write(t *testing.T, root, path, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, path), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, root, path string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// parses fails the test unless every planned Go file parses.
func parses(t *testing.T, plan *Plan) {
	t.Helper()
	for _, f := range append(plan.Create, plan.Edit...) {
		if strings.HasSuffix(f.Path, ".go") {
			if _, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Data, parser.ParseComments); err != nil {
				t.Errorf("%s: %v\n%s", f.Path, err, f.Data)
			}
		}
	}
}

func TestServiceThenHandler(t *testing.T) {
	p := newProject(t)
	plan, err := p.NewService("order-desk")
	if err != nil {
		t.Fatal(err)
	}
	parses(t, plan)
	if err := plan.Apply(p.Root); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"examples/orderdesk/app.go", "examples/orderdesk/wire.go", "cmd/order-desk/main.go", "cmd/order-desk/wire.go"} {
		if !strings.Contains(read(t, p.Root, path), "example.com/shop/") {
			t.Errorf("%s does not import the module's packages", path)
		}
	}
	if !strings.HasPrefix(read(t, p.Root, "cmd/order-desk/wire.go"), "//go:build wireinject\n") {
		t.Error("cmd wire.go lacks its build constraint")
	}

	if got := read(t, p.Root, "handlers/orderdesk/doc.go"); !strings.Contains(got, "\npackage orderdesk\n") {
		t.Errorf("handler package:\n%s", got)
	}
	if got := read(t, p.Root, "examples/orderdesk/README.md"); !strings.Contains(got, "go run ./cmd/order-desk ") {
		t.Errorf("README does not say how to run the service:\n%s", got)
	}

	// Without --service, the event's package names the service.
	plan, err = p.NewHandler(HandlerOptions{Name: "ship-order", Event: "orderdesk.OrderPlaced", Topic: "orders.placed", Like: "mail.sent"})
	if err != nil {
		t.Fatal(err)
	}
	parses(t, plan)
	if err := plan.Apply(p.Root); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p.Root, "examples/orderdesk/orderdesk/events.go"); !strings.Contains(got, `func (OrderPlaced) EventName() string { return "orders.placed" }`) {
		t.Errorf("event:\n%s", got)
	}
	// The handler package orderdesk imports the event package orderdesk by its name;
	// its test and the assembly import the handler package as handlers.
	if got := read(t, p.Root, "handlers/orderdesk/ship_order.go"); !strings.Contains(got, "package orderdesk\n") ||
		!strings.Contains(got, `"example.com/shop/examples/orderdesk/orderdesk"`) || !strings.Contains(got, "*orderdesk.OrderPlaced") {
		t.Errorf("handler:\n%s", got)
	}
	if got := read(t, p.Root, "handlers/orderdesk/ship_order_test.go"); !strings.Contains(got, "package orderdesk_test\n") ||
		!strings.Contains(got, `handlers "example.com/shop/handlers/orderdesk"`) {
		t.Errorf("handler test:\n%s", got)
	}
	list := read(t, p.Root, "examples/orderdesk/handlers.go")
	if !strings.Contains(list, "handlers.NewShipOrder(handlers.ShipOrderDeps{Logger: d.Logger, Record: d.Record}),\n\t\t"+Marker) ||
		!strings.Contains(list, `handlers "example.com/shop/handlers/orderdesk"`) {
		t.Errorf("handler not listed in the service:\n%s", list)
	}
	for profile, transport := range map[string]string{"local": "memory", "redis": "redis", "rabbitmq": "rabbit", "postgres": "pg", "production": "rabbit"} {
		y := read(t, p.Root, "config/"+profile+".yaml")
		if !strings.Contains(y, "  orders.placed:    {transport: "+transport+"}\n") || !strings.Contains(y, "  ship-order:              {topic: orders.placed}\n") {
			t.Errorf("%s.yaml lacks the entries:\n%s", profile, y)
		}
	}

	// A second handler of the same event reuses it, extends nothing else, and may
	// name its transport per profile.
	plan, err = p.NewHandler(HandlerOptions{Name: "bill-order", Event: "OrderPlaced", Service: "order-desk", Topic: "orders.placed"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range plan.Create {
		if strings.HasPrefix(f.Path, "examples/orderdesk/orderdesk/") {
			t.Errorf("reused event, yet creates %s", f.Path)
		}
	}
	if len(plan.Notes) == 0 || !strings.Contains(plan.Notes[0], "orderdesk.OrderPlaced exists") {
		t.Errorf("notes %q", plan.Notes)
	}

	// An event package that names no service: the only service runs the handler, and the
	// event goes to a new domain package of that service.
	plan, err = p.NewHandler(HandlerOptions{Name: "bill-invoice", Event: "billing.InvoiceDue", Topic: "orders.placed"})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range plan.Create {
		paths = append(paths, f.Path)
	}
	if want := []string{"examples/orderdesk/billing/doc.go", "examples/orderdesk/billing/events.go",
		"handlers/orderdesk/bill_invoice.go", "handlers/orderdesk/bill_invoice_test.go"}; !slices.Equal(paths, want) {
		t.Errorf("creates %q, want %q", paths, want)
	}
	// With two services, one of them has to be chosen.
	if plan, err := p.NewService("audit"); err != nil {
		t.Fatal(err)
	} else if err := plan.Apply(p.Root); err != nil {
		t.Fatal(err)
	}
	if _, err := p.NewHandler(HandlerOptions{Name: "bill-invoice", Event: "billing.InvoiceDue", Topic: "orders.placed"}); err == nil || !strings.Contains(err.Error(), "--service (audit, orderdesk)") {
		t.Errorf("two services, no --service: %v", err)
	}

	// Scaffolding again refuses to overwrite.
	if _, err := p.NewService("order-desk"); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("second service: %v", err)
	}
	if _, err := p.NewHandler(HandlerOptions{Name: "ship-order", Event: "orderdesk.OrderPlaced", Topic: "orders.placed"}); err == nil || !strings.Contains(err.Error(), "handlers/orderdesk/ship_order.go exists already") {
		t.Errorf("second handler: %v", err)
	}
}

func TestNewHandlerNeedsATransportForANewTopic(t *testing.T) {
	p := newProject(t)
	before := read(t, p.Root, "config/local.yaml")
	_, err := p.NewHandler(HandlerOptions{Name: "audit", Event: "audit.Entry", Topic: "audit.entries", Transports: []string{"memory"}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, profile := range []string{"postgres", "production", "rabbitmq", "redis"} {
		if !strings.Contains(err.Error(), "config/"+profile+".yaml: topic audit.entries is not declared") {
			t.Errorf("error does not name %s:\n%v", profile, err)
		}
	}
	if strings.Contains(err.Error(), "config/local.yaml") {
		t.Errorf("local declares memory, yet:\n%v", err)
	}
	if read(t, p.Root, "config/local.yaml") != before {
		t.Error("a failed plan edited a profile")
	}
	if _, err := os.Stat(filepath.Join(p.Root, "handlers/audit")); err == nil {
		t.Error("a failed plan wrote the handler")
	}
	// With a transport for each profile it succeeds.
	plan, err := p.NewHandler(HandlerOptions{Name: "audit", Event: "audit.Entry", Topic: "audit.entries",
		Transports: []string{"memory", "redis,rabbit", "postgres=pg"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Edit) != 5 {
		t.Errorf("edits %d profiles, want 5", len(plan.Edit))
	}
}

func TestNewHandlerRejectsBadInput(t *testing.T) {
	p := newProject(t)
	for _, o := range []HandlerOptions{
		{Name: "Ship", Event: "a.B", Topic: "a.b", Like: "mail.sent"},
		{Name: "ship--it", Event: "a.B", Topic: "a.b", Like: "mail.sent"},
		{Name: "ship", Event: "a.b", Topic: "a.b", Like: "mail.sent"},
		{Name: "ship", Event: "B", Topic: "a.b", Like: "mail.sent"},
		{Name: "ship", Event: "func.B", Topic: "a.b", Like: "mail.sent"},
		{Name: "ship", Event: "a.B", Topic: "a.*", Like: "mail.sent"},
		{Name: "ship", Event: "a.B", Topic: "a.b", Like: "no.such"},
		{Name: "ship", Event: "a.B", Topic: "a.b", Transports: []string{"local=nope"}, Like: "mail.sent"},
		{Name: "send-verification-email", Event: "a.B", Topic: "a.b", Like: "mail.sent"},
		{Name: "existing", Event: "a.B", Topic: "a.b", Like: "mail.sent"},
	} {
		if plan, err := p.NewHandler(o); err == nil {
			t.Errorf("%+v: no error, plan %v", o, plan.Create)
		}
	}
	for _, name := range []string{"", "Orders", "9lives", "a_b", "go", "handlers", "order-", "examples"} {
		if _, err := p.NewService(name); err == nil {
			t.Errorf("service %q: no error", name)
		}
	}
}

// TestNewHandlerLeavesAProfileItCannotEditInPlace checks that a profile whose topics
// section is a flow mapping is left untouched, and both of its entries are reported
// for pasting, while the other profiles are edited.
func TestNewHandlerLeavesAProfileItCannotEditInPlace(t *testing.T) {
	p := newProject(t)
	flow := "version: 1\ntransports:\n  memory: {kind: gochannel}\ntopics: {mail.sent: {transport: memory}}\nhandlers:\n  h: {topic: mail.sent}\n"
	write(t, p.Root, "config/flow.yaml", flow)
	plan, err := p.NewHandler(HandlerOptions{Name: "ship-order", Event: "orders.OrderPlaced", Topic: "orders.placed", Like: "mail.sent"})
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Apply(p.Root); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p.Root, "config/flow.yaml"); got != flow {
		t.Errorf("flow.yaml edited:\n%s", got)
	}
	if len(plan.Manual) != 1 || !strings.Contains(plan.Manual[0], "config/flow.yaml") ||
		!strings.Contains(plan.Manual[0], "topics:\n  orders.placed: {transport: memory}") ||
		!strings.Contains(plan.Manual[0], "handlers:\n  ship-order: {topic: orders.placed}") {
		t.Errorf("manual entries %q", plan.Manual)
	}
	if !strings.Contains(read(t, p.Root, "config/local.yaml"), "ship-order:") {
		t.Error("local.yaml not edited")
	}
}
