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
// profiles and the framework (internal/, cmd/); examples/ and handlers/ are created
// when missing, so a checkout without the examples can be scaffolded too.
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
	for _, dir := range []string{"config", "internal", "cmd"} {
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

// reservedPackages are package names a service or an event package cannot take: the
// project's top folders and the packages the generated files import by name.
var reservedPackages = map[string]bool{
	"main": true, "handlers": true, "internal": true, "config": true, "topology": true, "examples": true,
	"event": true, "router": true, "correlation": true, "handlertest": true,
	"context": true, "testing": true, "time": true, "slog": true,
}

func checkPackage(pkg string) error {
	if token.IsKeyword(pkg) || reservedPackages[pkg] {
		return fmt.Errorf("%q cannot be a Go package name here; choose another name", pkg)
	}
	return nil
}

// render executes the template name with data and formats the result as Go.
func render(name string, data any) ([]byte, error) {
	out, err := renderText(name, data)
	if err != nil {
		return nil, err
	}
	formatted, err := format.Source(out)
	if err != nil {
		return nil, fmt.Errorf("template %s does not format: %w\n%s", name, err, out)
	}
	return formatted, nil
}

// renderText executes the template name with data.
func renderText(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// exists reports whether path (relative to the root) exists.
func (p *Project) exists(path string) bool {
	_, err := os.Lstat(filepath.Join(p.Root, path))
	return err == nil
}

// The folders of a service pkg (its name without hyphens), as the examples have them:
// the assembly in examples/<pkg> (the domain packages below it), the typed handlers in
// handlers/<pkg>, the binary in cmd/<name>.
func assemblyDir(pkg string) string { return "examples/" + pkg }
func handlersDir(pkg string) string { return "handlers/" + pkg }

// HandlersAlias is the name the service's handler package is imported under, as
// examples/chat imports handlers/chat: the handler package is named like the service,
// and so may be its assembly or a domain package.
const HandlersAlias = "handlers"

// serviceData is what the service templates use.
type serviceData struct {
	// Name is the service (and cmd/) name; Pkg the package of its assembly and of its
	// handlers (Name without hyphens).
	Module, Name, Pkg, Marker string
}

// NewService plans the service name in the examples' shape: examples/<pkg> (the
// assembly with its router and HTTP server, the handler list, the wire ProviderSet,
// a README), handlers/<pkg> (the service's handler package) and cmd/<name> (a thin
// main, its test and the wire injector). <pkg> is name without hyphens.
func (p *Project) NewService(name string) (*Plan, error) {
	if err := checkName("service", name); err != nil {
		return nil, err
	}
	pkg := packageName(name)
	if err := checkPackage(pkg); err != nil {
		return nil, err
	}
	var errs []error
	for _, dir := range []string{assemblyDir(pkg), handlersDir(pkg), "cmd/" + name} {
		if p.exists(dir) {
			errs = append(errs, fmt.Errorf("%s exists already; not overwriting it", dir))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	d := serviceData{Module: p.Module, Name: name, Pkg: pkg, Marker: Marker}
	plan := &Plan{}
	for _, f := range []struct{ tmpl, path string }{
		{"service_doc.go.tmpl", assemblyDir(pkg) + "/doc.go"},
		{"service_app.go.tmpl", assemblyDir(pkg) + "/app.go"},
		{"service_handlers.go.tmpl", assemblyDir(pkg) + "/handlers.go"},
		{"service_wire.go.tmpl", assemblyDir(pkg) + "/wire.go"},
		{"service_README.md.tmpl", assemblyDir(pkg) + "/README.md"},
		{"handlers_doc.go.tmpl", handlersDir(pkg) + "/doc.go"},
		{"cmd_main.go.tmpl", "cmd/" + name + "/main.go"},
		{"cmd_main_test.go.tmpl", "cmd/" + name + "/main_test.go"},
		{"cmd_wire.go.tmpl", "cmd/" + name + "/wire.go"},
	} {
		var data []byte
		var err error
		if strings.HasSuffix(f.tmpl, ".go.tmpl") {
			data, err = render(f.tmpl, d)
		} else {
			data, err = renderText(f.tmpl, d)
		}
		if err != nil {
			return nil, err
		}
		plan.create(f.path, data)
	}
	plan.Next = []string{
		"go run ./cmd/millrace new handler NAME --service " + name + " --event " + pkg + ".EventType --topic TOPIC --like mail.sent   # add a handler",
		"(cd cmd/" + name + " && wire)   # generate cmd/" + name + "/wire_gen.go (go install github.com/google/wire/cmd/wire@v0.7.0)",
		"go build ./... && go vet ./...",
		"go test ./cmd/" + name + " ./" + handlersDir(pkg) + "/... ./" + assemblyDir(pkg) + "/...",
		"go run ./cmd/" + name + " -topology local -http-addr 127.0.0.1:8082   # then curl 127.0.0.1:8082/readyz",
	}
	return plan, nil
}
