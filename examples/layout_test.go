// Package examples holds the checks that keep the examples apart from the framework:
// each binary links only its own example, and deleting what the README's "Start from a
// clean slate" section lists leaves a framework that builds and passes its tests.
package examples

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/millrace/millrace"

// binaries maps each example binary to the example and the handler package it runs.
var binaries = map[string]struct{ example, handlers string }{
	"users":    {"registration", "users"},
	"mailer":   {"registration", "mailer"},
	"chat":     {"chat", "chat"},
	"chatload": {"chat", ""},
}

// root returns the module root: the parent of this folder.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	return dir
}

// goCmd runs the go command in dir and returns its standard output.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s%s", strings.Join(args, " "), dir, err, out, stderr.Bytes())
	}
	return string(out)
}

// deps returns the module's own packages pkgs link, relative to the module root.
func deps(t *testing.T, dir string, pkgs ...string) []string {
	t.Helper()
	var own []string
	for _, p := range strings.Fields(goCmd(t, dir, append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, pkgs...)...)) {
		if rel, ok := strings.CutPrefix(p, module+"/"); ok {
			own = append(own, rel)
		}
	}
	slices.Sort(own)
	return slices.Compact(own)
}

// within reports whether pkg is dir or below it.
func within(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

func TestBinariesLinkOnlyTheirOwnExample(t *testing.T) {
	dir := root(t)
	for bin, want := range binaries {
		t.Run(bin, func(t *testing.T) {
			linked := deps(t, dir, "./cmd/"+bin)
			if !slices.ContainsFunc(linked, func(p string) bool { return within(p, "examples/"+want.example) }) {
				t.Errorf("cmd/%s links nothing of examples/%s; the table above is stale", bin, want.example)
			}
			for _, p := range linked {
				switch {
				case within(p, "examples") && !within(p, "examples/"+want.example):
					t.Errorf("cmd/%s links %s, another example's package", bin, p)
				case within(p, "handlers") && p != "handlers/"+want.handlers:
					t.Errorf("cmd/%s links %s; a binary links only its own handlers", bin, p)
				}
			}
		})
	}
	t.Run("framework", func(t *testing.T) {
		for _, p := range deps(t, dir, "./internal/...", "./topology/...", "./config/...") {
			if within(p, "examples") || within(p, "handlers") {
				t.Errorf("the framework links %s, a package of an example", p)
			}
		}
	})
}

// cleanSlate returns the paths the README's clean-slate block deletes: the arguments of
// its rm -rf command, in the first code block after the <!-- clean-slate --> marker.
func cleanSlate(t *testing.T, readme []byte) []string {
	t.Helper()
	_, after, ok := bytes.Cut(readme, []byte("<!-- clean-slate -->"))
	if !ok {
		t.Fatal("README.md has no <!-- clean-slate --> block")
	}
	var (
		lines []string
		fence int
		cont  bool
	)
	sc := bufio.NewScanner(bytes.NewReader(after))
	for sc.Scan() && fence < 2 {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "```"):
			fence++
		case fence == 1 && cont:
			lines[len(lines)-1] += " " + line
		case fence == 1:
			lines = append(lines, line)
		}
		cont = strings.HasSuffix(line, "\\")
	}
	var paths []string
	for _, line := range lines {
		if rest, ok := strings.CutPrefix(line, "rm -rf "); ok {
			for _, f := range strings.Fields(rest) {
				if f != "\\" {
					paths = append(paths, f)
				}
			}
		}
	}
	if len(paths) == 0 {
		t.Fatal("the clean-slate block deletes nothing")
	}
	return paths
}

// TestCleanSlate deletes, in a copy of the repository, exactly what the README's "Start
// from a clean slate" section lists, then builds, vets and runs every remaining test.
func TestCleanSlate(t *testing.T) {
	// It runs the framework's whole suite a second time, against the same brokers:
	// beside the main suite on a small machine that is twice the load, so it runs on
	// its own when asked (.ci/run does, after the suite).
	if os.Getenv("MILLRACE_CLEAN_SLATE") != "1" {
		t.Skip("runs the framework's tests again in a copy; set MILLRACE_CLEAN_SLATE=1 (.ci/run does, after the suite)")
	}
	dir := root(t)
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	paths := cleanSlate(t, readme)
	for _, p := range paths {
		if filepath.IsAbs(p) || strings.Contains(p, "..") {
			t.Fatalf("clean-slate path %q leaves the repository", p)
		}
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("the README deletes %s, which does not exist: %v", p, err)
		}
	}
	for bin := range binaries {
		if !slices.Contains(paths, "cmd/"+bin) {
			t.Errorf("the README keeps cmd/%s, an example binary", bin)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	copyDir := filepath.Join(t.TempDir(), "millrace")
	copyRepository(t, dir, copyDir)
	for _, p := range paths {
		if err := os.RemoveAll(filepath.Join(copyDir, p)); err != nil {
			t.Fatal(err)
		}
	}
	left := deps(t, copyDir, "./...")
	for _, p := range left {
		if within(p, "examples") || within(p, "handlers") {
			t.Errorf("after the clean slate %s is left", p)
		}
	}
	goCmd(t, copyDir, "build", "./...")
	goCmd(t, copyDir, "vet", "./...")
	out := goCmd(t, copyDir, "test", "-count=1", "./...")
	if !strings.Contains(out, "ok  \t"+module+"/internal/router") {
		t.Errorf("the framework's tests did not run:\n%s", out)
	}
	t.Logf("after the clean slate:\n%s", out)
}

// copyRepository copies the files git knows in src (tracked, and untracked ones that
// are not ignored) to dst.
func copyRepository(t *testing.T, src, dst string) {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = src
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for name := range strings.SplitSeq(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		from := filepath.Join(src, name)
		info, err := os.Lstat(from)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the working tree, or a link
		}
		to := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, from, to, info.Mode().Perm())
	}
}

func copyFile(t *testing.T, from, to string, perm os.FileMode) {
	t.Helper()
	r, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, r); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
