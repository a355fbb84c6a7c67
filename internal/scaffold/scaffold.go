package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"go/format"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
)

//go:embed templates/*.tmpl
var templateFiles embed.FS

var templates = template.Must(template.ParseFS(templateFiles, "templates/*.tmpl"))

// Marker is the line of a service's handlers.go above which new handlers are added.
const Marker = "// millrace new handler adds the service's handlers above this line."

// Project is a checkout of the millrace module (or of a copy of it).
type Project struct {
	// Root is the folder of go.mod.
	Root string
	// Module is the module path.
	Module string
}

// Open returns the project whose go.mod is in root. The folder must hold the config
// profiles and the handlers package.
func Open(root string) (*Project, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("not a module root: %w", err)
	}
	module := modulePath(data)
	if module == "" {
		return nil, fmt.Errorf("%s: no module path", filepath.Join(root, "go.mod"))
	}
	var errs []error
	for _, dir := range []string{"config", "handlers", "internal", "cmd"} {
		if info, err := os.Stat(filepath.Join(root, dir)); err != nil || !info.IsDir() {
			errs = append(errs, fmt.Errorf("%s has no %s folder: run this in the root of a millrace checkout", root, dir))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Project{Root: root, Module: module}, nil
}

// modulePath returns the path of the module directive of a go.mod file.
func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// checkName reports whether name is a valid service or handler name: lowercase
// letters, digits and single hyphens, starting with a letter.
func checkName(kind, name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("%s name %q: use lowercase letters, digits and single hyphens, starting with a letter (e.g. order-events)", kind, name)
	}
	return nil
}

// packageName is the Go package of a service or event package: name without hyphens.
func packageName(name string) string { return strings.ReplaceAll(name, "-", "") }

// camel is name in CamelCase: "ship-order" is "ShipOrder".
func camel(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// snake is name with underscores: the file name of a handler.
func snake(name string) string { return strings.ReplaceAll(name, "-", "_") }

// reservedPackages are package names a service cannot take.
var reservedPackages = map[string]bool{"main": true, "handlers": true, "internal": true, "config": true, "topology": true}

func checkPackage(pkg string) error {
	if token.IsKeyword(pkg) || reservedPackages[pkg] {
		return fmt.Errorf("%q cannot be a Go package name here; choose another name", pkg)
	}
	return nil
}

// render executes the template name with data and formats the result as Go.
func render(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("template %s does not format: %w\n%s", name, err, b.Bytes())
	}
	return out, nil
}

// exists reports whether path (relative to the root) exists.
func (p *Project) exists(path string) bool {
	_, err := os.Lstat(filepath.Join(p.Root, path))
	return err == nil
}

// serviceData is what the service templates use.
type serviceData struct {
	// Pkg is the assembly package, internal/<Pkg>; EventPkg the package of the
	// service's events (created by NewHandler), which handlers import.
	Module, Name, Pkg, EventPkg, Marker string
}

// appPackage is the package that assembles the service name, as internal/chatapp
// assembles the chat whose events are in internal/chat: the handlers import the event
// package and the assembly imports the handlers.
func appPackage(service string) string { return packageName(service) + "app" }

// NewService plans the service name: internal/<pkg>app with its assembly, handler
// list and wire ProviderSet, and cmd/<name> with main, its test and the wire injector.
// <pkg> (name without hyphens) is left for the service's events.
func (p *Project) NewService(name string) (*Plan, error) {
	if err := checkName("service", name); err != nil {
		return nil, err
	}
	if err := checkPackage(packageName(name)); err != nil {
		return nil, err
	}
	pkg := appPackage(name)
	var errs []error
	for _, dir := range []string{"internal/" + pkg, "cmd/" + name} {
		if p.exists(dir) {
			errs = append(errs, fmt.Errorf("%s exists already; not overwriting it", dir))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	d := serviceData{Module: p.Module, Name: name, Pkg: pkg, EventPkg: packageName(name), Marker: Marker}
	plan := &Plan{}
	for _, f := range []struct{ tmpl, path string }{
		{"service_doc.go.tmpl", "internal/" + pkg + "/doc.go"},
		{"service.go.tmpl", "internal/" + pkg + "/service.go"},
		{"service_handlers.go.tmpl", "internal/" + pkg + "/handlers.go"},
		{"service_wire.go.tmpl", "internal/" + pkg + "/wire.go"},
		{"cmd_main.go.tmpl", "cmd/" + name + "/main.go"},
		{"cmd_main_test.go.tmpl", "cmd/" + name + "/main_test.go"},
		{"cmd_wire.go.tmpl", "cmd/" + name + "/wire.go"},
	} {
		data, err := render(f.tmpl, d)
		if err != nil {
			return nil, err
		}
		plan.create(f.path, data)
	}
	plan.Next = []string{
		"go run ./cmd/millrace new handler NAME --event " + d.EventPkg + ".EventType --topic TOPIC --like mail.sent   # add a handler",
		"(cd cmd/" + name + " && wire)   # generate cmd/" + name + "/wire_gen.go (go install github.com/google/wire/cmd/wire@v0.7.0)",
		"go build ./... && go vet ./...",
		"go test ./cmd/" + name + " ./handlers",
		"go run ./cmd/" + name + " -topology local -http-addr 127.0.0.1:8082   # then curl 127.0.0.1:8082/readyz",
	}
	return plan, nil
}
