package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/millrace/millrace/internal/testenv"
)

// runCLI runs the command line in-process and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

var demoAddr = regexp.MustCompile(`msg="demo running" addr=(\S+) chat=(\S+)`)

// startDemo runs "millrace demo" on data and returns the base URLs of the users service
// and of the chat, and a stop function that waits for a clean exit.
func startDemo(t *testing.T, data string) (string, string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testenv.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--data", data, "--http-addr", "127.0.0.1:0", "--chat-addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	var (
		m      []string // the addresses, once the demo logged them
		code   int      // the exit code, once the demo exited
		exited bool
	)
	t.Cleanup(func() {
		if t.Failed() && m == nil && !exited {
			cancel()
			t.Logf("demo did not start:\n%s", stderr.String())
		}
	})
	testenv.Eventually(t, "the demo to start", 30*time.Second, func() bool {
		if m = demoAddr.FindStringSubmatch(stderr.String()); m != nil {
			return true
		}
		select {
		case code = <-done:
			exited = true
			return true
		default:
			return false
		}
	})
	if exited {
		cancel()
		t.Fatalf("demo exited %d:\n%s", code, stderr.String())
	}
	stopped := false
	return "http://" + m[1], "http://" + m[2], func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("demo exit %d:\n%s", code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("demo did not stop")
		}
	}
}

// storedEmails returns the bodies of the emails in dir, oldest first.
func storedEmails(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	var bodies []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			continue // still being written
		}
		var r io.Reader = msg.Body
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(r)
		}
		body, err := io.ReadAll(r)
		if err != nil {
			continue
		}
		bodies = append(bodies, msg.Header.Get("Subject")+"\n"+string(body))
	}
	return bodies
}

// TestDemoServesChatAndProbes checks that the demo also runs the chat (its page and
// readiness answer) and that the users address serves /readyz and /metrics.
func TestDemoServesChatAndProbes(t *testing.T) {
	base, chat, stop := startDemo(t, t.TempDir())
	defer stop()
	for url, want := range map[string]string{
		chat + "/":        "<!doctype html>",
		chat + "/readyz":  `"transport:memory":"ok"`,
		base + "/readyz":  `"database:users":"ok"`,
		base + "/metrics": `millrace_outbox_backlog_messages{outbox="outbox"} 0`,
	} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(string(body)), strings.ToLower(want)) {
			t.Errorf("GET %s: %d, want 200 with %q:\n%.400s", url, resp.StatusCode, want, body)
		}
	}
}

// TestDemo runs the embedded default: register, find the verification email in the
// data folder, follow its link, find the welcome email; after a restart on the same
// folder the user is still there, active, and the statistics are kept.
func TestDemo(t *testing.T) {
	data := t.TempDir()
	mailDir := filepath.Join(data, "mail")
	base, _, stop := startDemo(t, data)
	defer stop()

	resp, err := http.Post(base+"/users", "application/json", strings.NewReader(`{"email":"ada@example.com","name":"Ada","password":"correct horse"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d", resp.StatusCode)
	}
	location := resp.Header.Get("Location")

	testenv.Eventually(t, "the verification email", 30*time.Second, func() bool { return len(storedEmails(t, mailDir)) >= 1 })
	body := storedEmails(t, mailDir)[0]
	i := strings.Index(body, "/users/verify?token=")
	if i < 0 {
		t.Fatalf("no link in %q", body)
	}
	link := strings.Fields(body[i:])[0]
	resp, err = http.Get(base + link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("verify: %d", resp.StatusCode)
	}
	testenv.Eventually(t, "the welcome email", 30*time.Second, func() bool { return len(storedEmails(t, mailDir)) >= 2 })
	testenv.Eventually(t, "statistics", 30*time.Second, func() bool { return demoStats(t, base) == [2]int{1, 1} })
	stop()

	base, _, stop2 := startDemo(t, data)
	defer stop2()
	resp, err = http.Get(base + location)
	if err != nil {
		t.Fatal(err)
	}
	var u struct{ Status string }
	err = json.NewDecoder(resp.Body).Decode(&u)
	resp.Body.Close()
	if err != nil || u.Status != "active" {
		t.Errorf("user after restart: %+v %v", u, err)
	}
	if got := demoStats(t, base); got != [2]int{1, 1} {
		t.Errorf("stats after restart %v, want [1 1]", got)
	}
	if n := len(storedEmails(t, mailDir)); n != 2 {
		t.Errorf("%d emails after restart, want 2 (nothing sent twice)", n)
	}
}

func demoStats(t *testing.T, base string) [2]int {
	t.Helper()
	resp, err := http.Get(base + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Total  int `json:"total_users"`
		Active int `json:"active_users"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return [2]int{st.Total, st.Active}
}

// TestDemoIsOperable operates a running demo from outside, on its --data folder: a
// registration whose email cannot be stored is poisoned into SQLite, where the built
// binary (another process) lists it; trace draws the request's flow from the delivery
// log; publish, tail and replay refuse the in-memory topics with the reason; purge
// --all removes the message.
func TestDemoIsOperable(t *testing.T) {
	data := t.TempDir()
	base, _, stop := startDemo(t, data)
	defer stop()

	// A file where the mail folder was: every email fails, and is poisoned after its
	// retries.
	mailDir := filepath.Join(data, "mail")
	if err := os.RemoveAll(mailDir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mailDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/users", "application/json", strings.NewReader(`{"email":"ada@example.com","name":"Ada","password":"correct horse"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	corr := resp.Header.Get("X-Correlation-ID")
	if resp.StatusCode != http.StatusCreated || corr == "" {
		t.Fatalf("register: %d, correlation id %q", resp.StatusCode, corr)
	}

	var entries []struct {
		Topic       string            `json:"topic"`
		Handler     string            `json:"handler"`
		Correlation string            `json:"correlation_id"`
		Metadata    map[string]string `json:"metadata"`
	}
	testenv.Eventually(t, "the poisoned email listed by another process", 30*time.Second, func() bool {
		r := runBinary(t, "poison", "list", "--topology", "local", "--data", data, "--format", "json")
		if r.code != exitOK {
			t.Fatalf("poison list: exit %d:\n%s", r.code, r.stderr)
		}
		if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
			t.Fatalf("poison list: %v\n%s", err, r.stdout)
		}
		return len(entries) == 1
	})
	if e := entries[0]; e.Topic != "users.registered" || e.Handler != "send-verification-email" ||
		e.Correlation != corr || e.Metadata["subscriber_poisoned"] != "send-verification-email" {
		t.Errorf("poisoned entry %+v", e)
	}

	var flow string
	testenv.Eventually(t, "the flow in the delivery log", 30*time.Second, func() bool {
		code, stdout, stderr := runCLI(t, "trace", corr, "--data", data)
		if code != exitOK && !strings.Contains(stderr, "no message of correlation id") {
			t.Fatalf("trace: exit %d:\n%s", code, stderr)
		}
		flow = stdout
		return strings.Contains(stdout, "send-verification-email: poisoned")
	})
	for _, want := range []string{"POST /users", "users.registered v1 (topic users.registered via memory)"} {
		if !strings.Contains(flow, want) {
			t.Errorf("trace lacks %q:\n%s", want, flow)
		}
	}

	for _, args := range [][]string{
		{"publish", "--topology", "local", "--topic", "users.registered", "--type", "users.registered.v1", "--data", `{"user_id":"u"}`},
		{"tail", "--topology", "local", "--data", data, "--topic", "users.registered"},
		{"poison", "replay", "--all", "--topology", "local", "--data", data},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitFailure || !strings.Contains(stderr, `in-memory transport "memory"`) || strings.Contains(stdout, "published") {
			t.Errorf("%s: exit %d, want 1 with the reason; stdout:\n%s\nstderr:\n%s", args[0], code, stdout, stderr)
		}
	}

	code, stdout, stderr := runCLI(t, "poison", "purge", "--all", "--yes", "--topology", "local", "--data", data)
	if code != exitOK || !strings.Contains(stdout, "1 message(s) purged") {
		t.Fatalf("purge --all: exit %d:\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "poison", "list", "--topology", "local", "--data", data)
	if code != exitOK || !strings.Contains(stdout, "0 poisoned message(s)") {
		t.Errorf("after purge --all: exit %d:\n%s%s", code, stdout, stderr)
	}
}

var mailLink = regexp.MustCompile(`/users/verify\?token=`)

// TestReadmeRunnableBlocks runs every README command block marked runnable, so the
// README cannot rot: the embedded demo comes up and answers /healthz, and the
// registration the README shows leaves a verification email in the demo's mail
// folder.
func TestReadmeRunnableBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run and the demo")
	}
	root := repoRoot(t)
	blocks := readmeBlocks(t, filepath.Join(root, "README.md"), "runnable")
	if len(blocks) < 2 {
		t.Fatalf("README.md has %d runnable blocks, want the quick start and the demo", len(blocks))
	}
	demo := false
	for _, b := range blocks {
		t.Run(fmt.Sprintf("line%d", b.line), func(t *testing.T) {
			for _, c := range b.commands {
				if regexp.MustCompile(`\bgo test\b`).MatchString(c) {
					t.Fatalf("README.md:%d: %q is marked runnable; go test would run this test again", b.line, c)
				}
			}
			s := newShellSession(t, root, testEnv(), 3*time.Minute)
			for _, c := range b.commands {
				s.run(c)
			}
			for _, srv := range s.servers {
				if srv.data == "" || !strings.Contains(srv.line, " demo") {
					continue
				}
				demo = true
				waitForVerificationEmail(t, filepath.Join(srv.data, "mail"))
			}
		})
	}
	if !demo {
		t.Error("no runnable block starts the demo with --data")
	}
}

// waitForVerificationEmail waits for an .eml file with a verification link in dir.
func waitForVerificationEmail(t *testing.T, dir string) {
	t.Helper()
	testenv.Eventually(t, "a verification email in "+dir, 30*time.Second, func() bool {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			// The body may be quoted-printable: undo soft line breaks and "=3D".
			body := strings.NewReplacer("=\r\n", "", "=\n", "", "=3D", "=").Replace(string(data))
			if mailLink.MatchString(body) && strings.Contains(body, "Subject: Confirm your email address") {
				return true
			}
		}
		return false
	})
}
