package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/millrace/millrace/internal/testenv"
)

// TestScaffold runs README.md's "Start your own service" block (marked scaffold) in a
// copy of the repository: scaffold a service and a handler, regenerate wire, build,
// vet, check gofmt, run the generated tests on the in-memory profile and on Redis
// Streams, and start the new service. It then checks what the scaffold left behind:
// the examples' shape (examples/orders, handlers/orders, cmd/orders) and an injector
// that wire leaves as it is.
func TestScaffold(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a copy of the repository")
	}
	path, err := wirePath()
	if err != nil {
		testenv.Unavailable(t, "wire (go install github.com/google/wire/cmd/wire@v0.7.0; .ci/run installs it)", err)
	}
	redisAddr := testenv.Redis(t)
	postgresDSN := testenv.Postgres(t) // the redis profile keeps its outbox in PostgreSQL
	root := repoRoot(t)
	blocks := readmeBlocks(t, filepath.Join(root, "README.md"), "scaffold")
	if len(blocks) != 1 {
		t.Fatalf("README.md has %d scaffold blocks, want 1", len(blocks))
	}

	for _, path := range []string{"examples/orders", "handlers/orders", "cmd/orders"} {
		if _, err := os.Stat(filepath.Join(root, path)); err == nil {
			// The README's steps are for a checkout without the example service.
			testenv.Unavailable(t, "a checkout without "+path+" (the README's example service)", errors.New(path+" exists"))
		}
	}

	copyDir := filepath.Join(t.TempDir(), "millrace")
	start := time.Now()
	n := copyRepository(t, root, copyDir)
	t.Logf("copied %d files in %.1fs", n, time.Since(start).Seconds())

	env := testEnv(
		"PATH="+filepath.Dir(path)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"MILLRACE_REDIS_ADDR="+redisAddr,
		"MILLRACE_POSTGRES_DSN="+postgresDSN,
		"GOFLAGS=", // the copy builds like a checkout, whatever flags this test runs with
	)
	// The generated test runs on Redis in a namespace of its own: the stream a running
	// ship-order service would read gets nothing from it.
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()
	liveLen := func() int64 {
		n, err := rdb.XLen(context.Background(), "orders.placed").Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("XLEN orders.placed: %v", err)
		}
		return n
	}
	before := liveLen()

	s := newShellSession(t, copyDir, env, 4*time.Minute)
	for _, c := range blocks[0].commands {
		s.run(c)
	}
	s.run("(cd cmd/orders && wire diff)")
	s.stopServers()
	if after := liveLen(); after != before {
		t.Errorf("the generated test wrote %d entries into the live stream orders.placed", after-before)
	}

	for _, f := range []string{
		"examples/orders/app.go", "examples/orders/handlers.go", "examples/orders/wire.go", "examples/orders/README.md",
		"examples/orders/orders/events.go",
		"handlers/orders/doc.go", "handlers/orders/ship_order.go", "handlers/orders/ship_order_test.go",
		"cmd/orders/main.go", "cmd/orders/main_test.go", "cmd/orders/wire.go", "cmd/orders/wire_gen.go",
	} {
		if _, err := os.Stat(filepath.Join(copyDir, f)); err != nil {
			t.Errorf("the scaffold did not leave %s: %v", f, err)
		}
	}
	for _, profile := range []string{"local", "redis"} {
		data, err := os.ReadFile(filepath.Join(copyDir, "config", profile+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "ship-order:") || !strings.Contains(string(data), "orders.placed:") {
			t.Errorf("config/%s.yaml lacks the topic or handler entry:\n%s", profile, data)
		}
	}
	if list, err := os.ReadFile(filepath.Join(copyDir, "examples/orders/handlers.go")); err != nil || !strings.Contains(string(list), "handlers.NewShipOrder(") {
		t.Errorf("the service does not list ship-order (%v):\n%s", err, list)
	}
	if out := s.log.String(); !strings.Contains(out, "--- PASS: TestShipOrder") && !strings.Contains(out, "ok  \tgithub.com/millrace/millrace/handlers/orders") {
		t.Errorf("the generated handler test did not report passing:\n%s", out)
	}
}

// wirePath finds the wire command on PATH or in GOPATH/bin.
func wirePath() (string, error) {
	if p, err := exec.LookPath("wire"); err == nil {
		return filepath.Abs(p)
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return "", err
	}
	for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
		p := filepath.Join(dir, "bin", "wire")
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("wire is neither on PATH nor in GOPATH/bin")
}

// copyRepository copies the files of the checkout at root that git tracks or would
// track (untracked files not ignored), as they are on disk, into dst; without git it
// copies the tree without .git.
func copyRepository(t *testing.T, root, dst string) int {
	t.Helper()
	var files []string
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err == nil {
		for _, f := range strings.Split(string(out), "\x00") {
			if f != "" {
				files = append(files, f)
			}
		}
	} else {
		t.Logf("git ls-files: %v; copying the tree without .git", err)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == ".git" {
				return filepath.SkipDir
			}
			if d.Type().IsRegular() {
				rel, _ := filepath.Rel(root, p)
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, f := range files {
		src := filepath.Join(root, f)
		info, err := os.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		if err := copyFile(src, filepath.Join(dst, f), info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

func copyFile(src, dst string, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}
