package account_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoUnusedFunctions fails on an unexported function of the package that no
// non-test code calls: the store and service keep no dead code (a password check
// nothing used once lived here).
func TestNoUnusedFunctions(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	declared := map[string]token.Position{}
	used := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && !ast.IsExported(fn.Name.Name) && fn.Name.Name != "init" {
				declared[fn.Name.Name] = fset.Position(fn.Pos())
			}
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				ast.Inspect(n.Body, func(m ast.Node) bool {
					if id, ok := m.(*ast.Ident); ok {
						used[id.Name] = true
					}
					return true
				})
				return false
			case *ast.Ident:
				used[n.Name] = true
			}
			return true
		})
	}
	if len(declared) == 0 {
		t.Fatal("no unexported functions found: the test reads the wrong files")
	}
	for name, pos := range declared {
		if !used[name] {
			t.Errorf("%s: %s is not used outside tests", pos, name)
		}
	}
}
