package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/testenv"
)

// A README command block is run by a test when the line before its ```sh fence is a
// marker comment:
//
//	<!-- runnable -->   TestReadmeRunnableBlocks runs it in the repository
//	<!-- scaffold -->   TestScaffold runs it in a copy of the repository
//
// Each line is one shell command (a trailing backslash continues it), run with bash
// in the folder, stopping at the first failure. A command with an -http-addr or
// --http-addr flag is a server: it is started in the background on a free port
// (every later mention of the address in the block uses that port), must answer
// GET /healthz, and is stopped with SIGINT when the block ends, which it must survive
// with exit status 0 (a "go run" server is built and run directly for that). A --data folder is
// replaced by a temporary one the same way.

// readmeBlock is a marked command block of README.md.
type readmeBlock struct {
	marker   string
	line     int // of the opening fence
	commands []string
}

var markerLine = regexp.MustCompile(`^<!--\s*(\w[\w-]*)\s*-->$`)

// readmeBlocks returns the blocks of README.md marked with marker.
func readmeBlocks(t *testing.T, readme, marker string) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var blocks []readmeBlock
	for i := 0; i+1 < len(lines); i++ {
		m := markerLine.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil || m[1] != marker {
			continue
		}
		if strings.TrimSpace(lines[i+1]) != "```sh" {
			t.Fatalf("%s:%d: marker %q is not followed by a ```sh fence", readme, i+1, marker)
		}
		b := readmeBlock{marker: marker, line: i + 2}
		var cont string
		j := i + 2
		for ; j < len(lines) && strings.TrimSpace(lines[j]) != "```"; j++ {
			l := strings.TrimSpace(lines[j])
			if strings.HasSuffix(l, `\`) {
				cont += strings.TrimSuffix(l, `\`) + " "
				continue
			}
			if l = cont + l; l != "" && !strings.HasPrefix(l, "#") {
				b.commands = append(b.commands, l)
			}
			cont = ""
		}
		if j == len(lines) {
			t.Fatalf("%s:%d: block never closed", readme, i+2)
		}
		blocks = append(blocks, b)
		i = j
	}
	return blocks
}

// shellSession runs the commands of a block in one folder.
type shellSession struct {
	t       *testing.T
	dir     string
	env     []string
	timeout time.Duration
	// replace are the address and folder substitutions, applied to every command.
	replace []string
	servers []*shellServer
	// log collects what every command printed, for failures.
	log bytes.Buffer
}

type shellServer struct {
	cmd    *exec.Cmd
	out    *testenv.Buffer
	done   chan error
	addr   string
	data   string
	line   string
	exited bool
}

var (
	httpAddrFlag = regexp.MustCompile(`(--?http-addr[ =])(\S+)`)
	dataFlag     = regexp.MustCompile(`(--?data[ =])(\S+)`)
	goRun        = regexp.MustCompile(`^go run (\S+)(.*)$`)
)

func newShellSession(t *testing.T, dir string, env []string, timeout time.Duration) *shellSession {
	s := &shellSession{t: t, dir: dir, env: env, timeout: timeout}
	t.Cleanup(s.stopServers)
	return s
}

func (s *shellSession) substitute(cmd string) string {
	if len(s.replace) == 0 {
		return cmd
	}
	return strings.NewReplacer(s.replace...).Replace(cmd)
}

// run runs one command of the block; a server is started and probed.
func (s *shellSession) run(command string) {
	s.t.Helper()
	command = s.substitute(command)
	if m := httpAddrFlag.FindStringSubmatch(command); m != nil {
		s.startServer(command, m[2])
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", command)
	cmd.Dir, cmd.Env = s.dir, s.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	out, err := cmd.CombinedOutput()
	fmt.Fprintf(&s.log, "$ %s\n%s", command, out)
	s.t.Logf("$ %s   (%.1fs)", command, time.Since(start).Seconds())
	if err != nil {
		s.t.Fatalf("$ %s\n%s\nfailed: %v (timeout %s)", command, out, err, s.timeout)
	}
}

func (s *shellSession) startServer(command, addr string) {
	s.t.Helper()
	free := freeAddr(s.t)
	s.replace = append(s.replace, addr, free)
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "" || host == "0.0.0.0") {
		s.replace = append(s.replace, "localhost:"+port, free, "127.0.0.1:"+port, free)
	}
	command = strings.ReplaceAll(command, addr, free)
	srv := &shellServer{addr: free, line: command, out: &testenv.Buffer{}, done: make(chan error, 1)}
	if m := dataFlag.FindStringSubmatch(command); m != nil {
		srv.data = filepath.Join(s.t.TempDir(), "data")
		s.replace = append(s.replace, m[2], srv.data)
		command = strings.Replace(command, m[0], m[1]+srv.data, 1)
	}
	srv.line = command
	// "go run" exits 1 when interrupted, whatever the program does: build the program
	// and run it directly, so the exit status is the server's own.
	shell := "exec " + command
	if m := goRun.FindStringSubmatch(command); m != nil {
		bin := filepath.Join(s.t.TempDir(), "server")
		shell = "go build -o " + bin + " " + m[1] + " && exec " + bin + m[2]
	}
	cmd := exec.Command("bash", "-c", shell)
	cmd.Dir, cmd.Env = s.dir, s.env
	cmd.Stdout, cmd.Stderr = srv.out, srv.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("$ %s: %v", command, err)
	}
	srv.cmd = cmd
	go func() { srv.done <- cmd.Wait() }()
	s.servers = append(s.servers, srv)
	s.t.Logf("$ %s   (server on %s)", command, free)

	// go run compiles first: allow for a loaded machine.
	deadline := time.Now().Add(2 * time.Minute)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get("http://" + free + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-srv.done:
			srv.exited = true
			s.t.Fatalf("$ %s\nexited before answering /healthz: %v\n%s", command, err, srv.out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("$ %s\n/healthz did not answer 200 within 2m (last: %v)\n%s", command, err, srv.out.String())
		}
	}
}

// stopServers interrupts every server still running and waits for it; a server
// that does not exit cleanly fails the test.
func (s *shellSession) stopServers() {
	for _, srv := range s.servers {
		if srv.exited {
			continue
		}
		srv.exited = true
		_ = syscall.Kill(-srv.cmd.Process.Pid, syscall.SIGINT)
		select {
		case err := <-srv.done:
			if err != nil {
				s.t.Errorf("$ %s\nstopped with %v:\n%s", srv.line, err, srv.out.String())
			}
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-srv.cmd.Process.Pid, syscall.SIGKILL)
			<-srv.done
			s.t.Errorf("$ %s\ndid not stop within 30s of SIGINT:\n%s", srv.line, srv.out.String())
		}
	}
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod in %s: %v", root, err)
	}
	return root
}

// testEnv is the environment of the commands: this process's, without the
// topology default of the developer's shell.
func testEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MILLRACE_TOPOLOGY=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}
