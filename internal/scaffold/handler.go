package scaffold

import (
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	_ "github.com/millrace/millrace/internal/transport/builtin" // the profiles it edits use the shipped kinds
	"github.com/millrace/millrace/topology"
)

// HandlerOptions describe a new handler.
type HandlerOptions struct {
	// Name is the handler's name: its topology entry, consumer group and queues.
	Name string
	// Event is the event type handled, "pkg.Type", or "Type" in the package named like
	// the service. The package is the domain package examples/*/<pkg> that exists, else
	// examples/<service>/<pkg>, created. A type the package does not declare yet is
	// added to its events.go.
	Event string
	// Topic carries the event: the event's EventName when the event is new.
	Topic string
	// Service is the service that runs the handler: the handler goes to
	// handlers/<service> and to the list of the assembly examples/<service>, when
	// there is one. Default: the service named like the event's package, else the only
	// service the scaffold made, else the event's package.
	Service string
	// Transports declare Topic in the profiles that do not declare it yet: each is
	// "TRANSPORT" (for every profile declaring that transport) or
	// "PROFILE=TRANSPORT".
	Transports []string
	// Like declares Topic, in profiles that do not declare it yet and that Transports
	// do not cover, on the transport of this existing topic.
	Like string
}

var (
	validTopic = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
	validType  = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
)

// NewHandler plans the handler o describes: the event (when new) in the service's
// domain package, the handler and its test in handlers/<service>, the topic (when new)
// and handler entries of every profile in config/, and the handler in its service's
// list.
func (p *Project) NewHandler(o HandlerOptions) (*Plan, error) {
	var errs []error
	if err := checkName("handler", o.Name); err != nil {
		errs = append(errs, err)
	}
	if !validTopic.MatchString(o.Topic) {
		errs = append(errs, fmt.Errorf("topic %q: use dot-separated segments of letters, digits, _ and - (a concrete topic, not a pattern)", o.Topic))
	}
	if o.Service != "" {
		if err := checkName("service", o.Service); err != nil {
			errs = append(errs, err)
		} else if err := checkPackage(packageName(o.Service)); err != nil {
			errs = append(errs, fmt.Errorf("service %s: %w", o.Service, err))
		}
	}
	pkg, typ, ok := strings.Cut(o.Event, ".")
	if !ok {
		pkg, typ = "", o.Event
		if o.Service != "" {
			pkg = packageName(o.Service)
		} else if only := p.scaffoldedServices(); len(only) == 1 {
			pkg = only[0]
		}
	}
	switch {
	case o.Event == "":
		errs = append(errs, errors.New("missing --event TYPE (pkg.Type, e.g. orders.OrderPlaced)"))
	case pkg == "":
		errs = append(errs, fmt.Errorf("event %q: name its package (pkg.Type) or give --service", o.Event))
	case !validName.MatchString(pkg) || strings.Contains(pkg, "-") || checkPackage(pkg) != nil:
		errs = append(errs, fmt.Errorf("event package %q: use lowercase letters and digits", pkg))
	case !validType.MatchString(typ):
		errs = append(errs, fmt.Errorf("event type %q: use an exported Go name such as OrderPlaced", typ))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	svc := packageName(o.Service)
	if svc == "" {
		var err error
		if svc, err = p.serviceOf(pkg); err != nil {
			return nil, err
		}
	}

	plan := &Plan{}
	cname := camel(o.Name)
	eventDir := p.eventDir(svc, pkg)
	d := handlerData{Module: p.Module, Name: o.Name, Const: cname, EventPkg: pkg, EventDir: eventDir,
		Event: typ, Topic: o.Topic, Pkg: pkg, HandlersPkg: svc, HandlersAlias: HandlersAlias}

	// The handler package, the handler and its test.
	hdir := handlersDir(svc)
	file := hdir + "/" + snake(o.Name)
	for _, path := range []string{file + ".go", file + "_test.go"} {
		if p.exists(path) {
			errs = append(errs, fmt.Errorf("%s exists already; not overwriting it", path))
		}
	}
	declared, err := p.declarations(hdir)
	if err != nil {
		return nil, err
	}
	for _, id := range []string{cname, cname + "Deps", "New" + cname} {
		if declared[id] {
			errs = append(errs, fmt.Errorf("package %s (%s) declares %s already", svc, hdir, id))
		}
	}
	if !p.exists(hdir) {
		data, err := render("handlers_doc.go.tmpl", serviceData{Module: p.Module, Name: svc, Pkg: svc})
		if err != nil {
			return nil, err
		}
		plan.create(hdir+"/doc.go", data)
	}

	// The event.
	eventDecls, err := p.declarations(eventDir)
	if err != nil {
		return nil, err
	}
	d.NewEvent = !eventDecls[typ]
	switch {
	case !d.NewEvent:
		plan.Notes = append(plan.Notes, fmt.Sprintf("%s.%s exists in %s: the handler uses it as it is (its EventName should be %q)", pkg, typ, eventDir, o.Topic))
	case !p.exists(eventDir):
		for _, f := range []struct{ tmpl, path string }{{"event_doc.go.tmpl", eventDir + "/doc.go"}, {"events.go.tmpl", eventDir + "/events.go"}} {
			data, err := render(f.tmpl, d)
			if err != nil {
				return nil, err
			}
			plan.create(f.path, data)
		}
	case p.exists(eventDir + "/events.go"):
		src, err := os.ReadFile(filepath.Join(p.Root, eventDir, "events.go"))
		if err != nil {
			return nil, err
		}
		out, err := appendGo(src, "event", d, "time", p.Module+"/internal/event")
		if err != nil {
			return nil, fmt.Errorf("%s/events.go: %w", eventDir, err)
		}
		plan.edit(eventDir+"/events.go", out)
	default:
		data, err := render("events.go.tmpl", d)
		if err != nil {
			return nil, err
		}
		plan.create(eventDir+"/events.go", data)
	}
	for _, f := range []struct{ tmpl, path string }{{"handler.go.tmpl", file + ".go"}, {"handler_test.go.tmpl", file + "_test.go"}} {
		data, err := render(f.tmpl, d)
		if err != nil {
			return nil, err
		}
		plan.create(f.path, data)
	}

	// The service's handler list.
	list := assemblyDir(svc) + "/handlers.go"
	register := fmt.Sprintf("%[1]s.New%[2]s(%[1]s.%[2]sDeps{Logger: d.Logger, Record: d.Record}),", HandlersAlias, cname)
	assembled := p.exists(list)
	if !assembled {
		plan.Notes = append(plan.Notes, fmt.Sprintf("no service assembly lists the handlers of %s (%s): add %s to the handlers of the binary that runs %s", hdir, list, strings.TrimSuffix(register, ","), o.Name))
	} else {
		src, err := plan.content(p.Root, list)
		if err != nil {
			errs = append(errs, fmt.Errorf("service %s: %w", svc, err))
		} else if out, err := insertHandler(src, register, HandlersAlias, p.Module+"/"+hdir); err != nil {
			plan.Manual = append(plan.Manual, fmt.Sprintf("%s: add to the list Handlers returns (%v):\n\t\t%s", list, err, register))
		} else {
			plan.edit(list, out)
		}
	}

	// The topology profiles.
	if err := p.planProfiles(plan, o); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	command := p.commandOf(svc)
	if assembled {
		plan.Next = append(plan.Next, "(cd cmd/"+command+" && wire)   # regenerate the injector (the handler's Deps may need new providers)")
	}
	plan.Next = append(plan.Next,
		"go build ./... && go vet ./...",
		"go test ./"+hdir+" -run 'Test"+cname+"$'                                  # in memory (local profile)",
		"MILLRACE_TOPOLOGY=redis go test ./"+hdir+" -run 'Test"+cname+"$'          # on a broker",
	)
	if assembled {
		plan.Next = append(plan.Next, "go run ./cmd/"+command+" -topology local -http-addr 127.0.0.1:8082")
	}
	return plan, nil
}

// scaffoldedServices returns the packages of the services whose assembly has the
// handler list the scaffold writes (examples/<pkg>/handlers.go with the Marker line).
func (p *Project) scaffoldedServices() []string {
	lists, _ := filepath.Glob(filepath.Join(p.Root, "examples", "*", "handlers.go"))
	var pkgs []string
	for _, path := range lists {
		if src, err := os.ReadFile(path); err == nil && strings.Contains(string(src), Marker) {
			pkgs = append(pkgs, filepath.Base(filepath.Dir(path)))
		}
	}
	sort.Strings(pkgs)
	return pkgs
}

// serviceOf returns the service of a handler of events of package pkg, given no
// --service: the service named pkg (its handler package, assembly or binary exists),
// else the only service the scaffold made, else pkg (a new handler package).
func (p *Project) serviceOf(pkg string) (string, error) {
	if p.exists(handlersDir(pkg)) || p.exists(assemblyDir(pkg)) || p.commandOf(pkg) != pkg || p.exists("cmd/"+pkg) {
		return pkg, nil
	}
	switch services := p.scaffoldedServices(); len(services) {
	case 0:
		return pkg, nil
	case 1:
		return services[0], nil
	default:
		return "", fmt.Errorf("no service is named like the event package %s: choose one with --service (%s)", pkg, strings.Join(services, ", "))
	}
}

// eventDir returns the folder of the domain package pkg of service svc: the existing
// examples/<svc>/<pkg>, else the only existing examples/*/<pkg> (an event of another
// service's domain), else examples/<svc>/<pkg>.
func (p *Project) eventDir(svc, pkg string) string {
	own := assemblyDir(svc) + "/" + pkg
	if p.exists(own) {
		return own
	}
	if dirs, _ := filepath.Glob(filepath.Join(p.Root, "examples", "*", pkg)); len(dirs) == 1 {
		if rel, err := filepath.Rel(p.Root, dirs[0]); err == nil {
			return filepath.ToSlash(rel)
		}
	}
	return own
}

// commandOf returns the service (the folder in cmd/) whose package name is pkg, or
// pkg when there is none.
func (p *Project) commandOf(pkg string) string {
	dirs, _ := filepath.Glob(filepath.Join(p.Root, "cmd", "*"))
	for _, d := range dirs {
		if name := filepath.Base(d); packageName(name) == pkg && validName.MatchString(name) {
			return name
		}
	}
	return pkg
}

// handlerData is what the handler and event templates use.
type handlerData struct {
	// Pkg and EventPkg are the event's package, EventDir its folder; HandlersPkg is
	// the handler's package (the service's), imported as HandlersAlias.
	Module, Name, Const, EventPkg, EventDir, Event, Topic, Pkg, HandlersPkg, HandlersAlias string
	// NewEvent is true when the event type is generated with the handler.
	NewEvent bool
}

// declarations returns the top-level names the Go files (tests excluded) of the
// package in dir declare; none when the folder does not exist.
func (p *Project) declarations(dir string) (map[string]bool, error) {
	names := map[string]bool{}
	files, err := filepath.Glob(filepath.Join(p.Root, dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				if decl.Recv == nil {
					names[decl.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						names[spec.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							names[n.Name] = true
						}
					}
				}
			}
		}
	}
	return names, nil
}

// appendGo appends the template tmpl to the Go source src, adds the imports it needs
// and formats the result.
func appendGo(src []byte, tmpl string, data any, imports ...string) ([]byte, error) {
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, tmpl, data); err != nil {
		return nil, err
	}
	out := append(append([]byte(nil), src...), b.String()...)
	out, err := addImports(out, imports...)
	if err != nil {
		return nil, err
	}
	return format.Source(out)
}

// addImports adds the import paths src lacks, in its first import declaration (or a
// new one after the package clause). A path may be "name path", imported under name.
func addImports(src []byte, paths ...string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ImportsOnly)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		have[path] = true
	}
	var std, other []string
	for _, spec := range paths {
		name, path, ok := strings.Cut(spec, " ")
		if !ok {
			name, path = "", spec
		}
		if have[path] {
			continue
		}
		line := strings.TrimSpace(name + " " + strconv.Quote(path))
		// Standard library paths join the first group of the declaration, others the
		// last, and go/format sorts each group.
		if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
			other = append(other, line)
		} else {
			std = append(std, line)
		}
	}
	if len(std)+len(other) == 0 {
		return src, nil
	}
	sort.Strings(std)
	sort.Strings(other)
	for _, decl := range f.Decls {
		if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.IMPORT && gd.Lparen.IsValid() {
			out := splice(src, fset.Position(gd.Rparen).Offset, "\t"+strings.Join(append(other, ""), "\n\t"))
			return splice(out, fset.Position(gd.Lparen).Offset+1, "\n\t"+strings.Join(std, "\n\t")), nil
		}
	}
	at := fset.Position(f.Name.End()).Offset
	return splice(src, at, "\n\nimport (\n"+strings.Join(std, "\n")+"\n\n"+strings.Join(other, "\n")+"\n)\n"), nil
}

func splice(src []byte, at int, text string) []byte {
	out := make([]byte, 0, len(src)+len(text))
	out = append(out, src[:at]...)
	out = append(out, text...)
	return append(out, src[at:]...)
}

// insertHandler adds the expression line above the Marker line of a service's
// handlers.go and imports the service's handler package under alias.
func insertHandler(src []byte, line, alias, handlersImport string) ([]byte, error) {
	i := strings.Index(string(src), Marker)
	if i < 0 {
		return nil, errors.New("no marker line " + strconv.Quote(Marker))
	}
	start := strings.LastIndex(string(src[:i]), "\n") + 1
	indent := string(src[start:i])
	out := splice(src, start, indent+line+"\n")
	out, err := addImports(out, alias+" "+handlersImport)
	if err != nil {
		return nil, err
	}
	return format.Source(out)
}

// planProfiles adds the topic (where it is not declared) and the handler entry to
// every profile in config/.
func (p *Project) planProfiles(plan *Plan, o HandlerOptions) error {
	files, err := filepath.Glob(filepath.Join(p.Root, "config", "*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("no topology profiles in config/")
	}
	byProfile := map[string]string{}
	var everywhere []string
	for _, t := range o.Transports {
		for _, t := range strings.Split(t, ",") {
			if profile, name, ok := strings.Cut(strings.TrimSpace(t), "="); ok {
				byProfile[profile] = name
			} else if t = strings.TrimSpace(t); t != "" {
				everywhere = append(everywhere, t)
			}
		}
	}
	var errs []error
	for _, path := range files {
		profile := strings.TrimSuffix(filepath.Base(path), ".yaml")
		rel := "config/" + filepath.Base(path)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		noEnv := func(string) (string, bool) { return "", false }
		topo, loadErr := topology.ParseWithEnv(rel, src, noEnv)
		if loadErr != nil {
			plan.Notes = append(plan.Notes, fmt.Sprintf("%s does not load as it is (%v): edited without a topology check", rel, firstLine(loadErr)))
		}
		if topo != nil {
			if _, ok := topo.Handler(o.Name); ok {
				errs = append(errs, fmt.Errorf("%s: handler %s is declared already", rel, o.Name))
				continue
			}
		}
		type entry struct {
			section, key string
			fields       []field
		}
		var entries []entry
		if topo == nil || !declares(topo, o.Topic) {
			transport, err := chooseTransport(topo, profile, o.Topic, byProfile, everywhere, o.Like)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", rel, err))
				continue
			}
			entries = append(entries, entry{"topics", o.Topic, []field{{"transport", transport}}})
		}
		entries = append(entries, entry{"handlers", o.Name, []field{{"topic", o.Topic}}})
		out := src
		var unsafe, failed error
		for _, e := range entries {
			edited, err := addEntry(out, e.section, e.key, e.fields)
			switch {
			case errors.Is(err, errUnsafeEdit):
				unsafe = err
			case err != nil:
				failed = err
			default:
				out = edited
			}
		}
		if failed != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rel, failed))
			continue
		}
		if unsafe != nil {
			// A profile is edited whole or not at all: half an edit would not load.
			var snippets []string
			for _, e := range entries {
				snippets = append(snippets, snippet(e.section, e.key, e.fields))
			}
			plan.Manual = append(plan.Manual, fmt.Sprintf("%s (%v):\n%s", rel, unsafe, strings.Join(snippets, "\n")))
			continue
		}
		if loadErr == nil {
			if _, err := topology.ParseWithEnv(rel, out, noEnv); err != nil {
				errs = append(errs, fmt.Errorf("%s would not load after the edit: %w", rel, err))
				continue
			}
		}
		if string(out) != string(src) {
			plan.edit(rel, out)
		}
	}
	return errors.Join(errs...)
}

// declares reports whether topic resolves in topo, exactly or through a pattern.
func declares(topo *topology.Topology, topic string) bool {
	_, err := topo.Resolve(topic)
	return err == nil
}

// chooseTransport picks the transport of a topic new to profile: the one given for
// the profile, else a transport given for all that the profile declares, else the
// transport of the topic like.
func chooseTransport(topo *topology.Topology, profile, topic string, byProfile map[string]string, everywhere []string, like string) (string, error) {
	known := func(name string) bool { return topo == nil || topo.Transports[name] != nil }
	if name, ok := byProfile[profile]; ok {
		if !known(name) {
			return "", fmt.Errorf("--transport %s=%s: no transport %q (declared: %s)", profile, name, name, transportNames(topo))
		}
		return name, nil
	}
	for _, name := range everywhere {
		if topo != nil && topo.Transports[name] != nil {
			return name, nil
		}
	}
	if like != "" && topo != nil {
		t, err := topo.Resolve(like)
		if err != nil {
			return "", fmt.Errorf("--like %s: %w", like, err)
		}
		return t.Transport, nil
	}
	return "", fmt.Errorf("topic %s is not declared; give --transport (declared: %s), --transport %s=NAME or --like TOPIC", topic, transportNames(topo), profile)
}

func transportNames(topo *topology.Topology) string {
	if topo == nil {
		return "unknown"
	}
	names := make([]string, 0, len(topo.Transports))
	for name := range topo.Transports {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
