package chat_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/millrace/millrace/internal/testenv"
)

// chromium returns the path of the Chromium binary; without one the test is skipped,
// or fails under CI.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if testenv.CI() {
		t.Fatal("chromium not found: CI installs it with apt-get install chromium")
	}
	t.Skip("chromium not found")
	return ""
}

// newBrowser starts headless Chromium and returns the context of its first tab, which
// ends with the test. More tabs are chromedp.NewContext of it.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	exe := chromium(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(900, 600))
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	// The first Run starts Chromium; it must not have a timeout, which would stop the
	// browser with it.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// loadIssues records, from when it is called, the requests of tab that fail or are
// answered with an error status, and the console errors of its pages.
type loadIssues struct {
	mu       sync.Mutex
	problems []string
	icons    int // favicon responses
}

func watchLoad(t *testing.T, tab context.Context) *loadIssues {
	t.Helper()
	w := &loadIssues{}
	err := chromedp.Listen(tab, func(ev any) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventResponseReceived:
			if e.Response.Status >= 400 {
				w.problems = append(w.problems, e.Response.URL+": status "+e.Response.StatusText)
			}
			if strings.Contains(e.Response.URL, "favicon") {
				w.icons++
			}
		case *network.EventLoadingFailed:
			w.problems = append(w.problems, "request failed: "+e.ErrorText)
		}
	})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	messages := chromedp.Console(tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				w.mu.Lock()
				w.problems = append(w.problems, "console: "+m.String())
				w.mu.Unlock()
			}
		}
	}()
	return w
}

// TestBrowser opens the page on two instances in headless Chromium. The page loads
// without a failed request or console error (favicon included). Each page lists the
// members online, those who were there before it joined on the other instance
// included; a message sent with Enter or the Send button appears once on every page,
// as text, marked as one's own on the sender's; a message the server refuses stays in
// the input with the reason shown; two members of one name are told apart.
func TestBrowser(t *testing.T) {
	p := newProfile(t, "redis")
	a := startInstance(t, p, nil)
	b := startInstance(t, p, nil)
	room := "browser-" + suffix(t)
	tabA := newBrowser(t)
	load := watchLoad(t, tabA)

	open := func(tab context.Context, addr, name string) {
		t.Helper()
		err := chromedp.Do(tab,
			chromedp.Navigate("http://"+addr+"/"),
			chromedp.WaitVisible(chromedp.CSS("#join")),
			chromedp.SetValue(chromedp.CSS("#room"), room),
			chromedp.SetValue(chromedp.CSS("#name"), name),
			chromedp.Click(chromedp.CSS("#join-button")),
			chromedp.WaitEnabled(chromedp.CSS("#text")),
		)
		if err != nil {
			t.Fatalf("open the page on %s as %s: %v", addr, name, err)
		}
	}
	open(tabA, a.Addr(), "alice")
	// The icon is asked for once the page has loaded; by then nothing may have failed.
	testenv.Eventually(t, "the favicon", wait, func() bool {
		load.mu.Lock()
		defer load.mu.Unlock()
		return load.icons > 0
	})
	load.mu.Lock()
	if len(load.problems) > 0 {
		t.Errorf("loading the page: %s", strings.Join(load.problems, "; "))
	}
	load.mu.Unlock()

	tabB, cancelB := chromedp.NewContext(tabA)
	defer cancelB()
	open(tabB, b.Addr(), "bob")
	// Bob, on the other instance, lists alice who was there before him.
	waitJS(t, tabB, membersAre("alice", "bob (you)"))
	waitJS(t, tabA, membersAre("alice (you)", "bob"))

	const hello = "hello from alice"
	const markup = `<script>window.pwned = 1</script><b>bold</b>`
	if err := chromedp.Do(tabA, chromedp.SendKeys(chromedp.CSS("#text"), hello+"\r")); err != nil {
		t.Fatalf("type a message: %v", err)
	}
	waitJS(t, tabA, `document.getElementById("text").value === ""`)
	if err := chromedp.Do(tabA,
		chromedp.SendKeys(chromedp.CSS("#text"), markup),
		chromedp.Click(chromedp.CSS("#send")),
	); err != nil {
		t.Fatalf("send a message with the button: %v", err)
	}
	count := func(text string) string {
		return `[...document.querySelectorAll("#log li.message .text")].filter(s => s.textContent === ` + jsString(text) + `).length`
	}
	for _, tab := range []context.Context{tabB, tabA} {
		waitJS(t, tab, count(hello)+` === 1`)
		waitJS(t, tab, count(markup)+` === 1`)
	}
	waitJS(t, tabA, `document.getElementById("text").value === ""`)
	const ownCount = `document.querySelectorAll("#log li.message.own").length`
	for name, tab := range map[string]context.Context{"alice": tabA, "bob": tabB} {
		// The markup arrived after hello on both pages; hello is still there once.
		n, err := chromedp.Run(tab, chromedp.Evaluate[int](count(hello)))
		if err != nil || n != 1 {
			t.Errorf("%s's page shows %q %d times (%v), want once", name, hello, n, err)
		}
		injected, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector("#log b, #log script") !== null || window.pwned !== undefined`))
		if err != nil || injected {
			t.Errorf("%s's page rendered the message as markup (%v)", name, err)
		}
		own, err := chromedp.Run(tab, chromedp.Evaluate[int](ownCount))
		if want := map[string]int{"alice": 2, "bob": 0}[name]; err != nil || own != want {
			t.Errorf("%s's page marks %d messages as own (%v), want %d", name, own, err, want)
		}
	}

	// Too long for the server (4096 bytes), though not for the input's maxlength (4096
	// characters): refused, and kept in the input.
	long := strings.Repeat("é", 3000)
	if err := chromedp.Do(tabA,
		chromedp.SetValue(chromedp.CSS("#text"), long),
		chromedp.Click(chromedp.CSS("#send")),
	); err != nil {
		t.Fatalf("send a long message: %v", err)
	}
	waitJS(t, tabA, `[...document.querySelectorAll("#log li.error")].some(li => li.textContent.includes("not sent: text is longer than 4096 bytes"))`)
	if kept, err := chromedp.Run(tabA, chromedp.Evaluate[bool](`document.getElementById("text").value === `+jsString(long))); err != nil || !kept {
		t.Errorf("the refused message is not kept in the input (%v)", err)
	}

	// A second alice, on bob's instance: both alices are listed and tagged with the start
	// of their connection ids; her message is tagged too, and marked own on her page only.
	tabC, cancelC := chromedp.NewContext(tabA)
	defer cancelC()
	open(tabC, b.Addr(), "alice")
	const tagged = `[...document.querySelectorAll("#members li")].map(li => li.textContent)`
	for _, tab := range []context.Context{tabA, tabB, tabC} {
		waitJS(t, tab, tagged+`.filter(s => /^alice #[0-9a-f]{6}/.test(s)).length === 2`)
	}
	secondID, err := chromedp.Run(tabC, chromedp.Evaluate[string](`document.querySelector("#members li.me .who").dataset.connectionId`))
	if err != nil || secondID == "" {
		t.Fatalf("second alice's connection id: %q, %v", secondID, err)
	}
	if err := chromedp.Do(tabC, chromedp.SendKeys(chromedp.CSS("#text"), "hi, other alice\r")); err != nil {
		t.Fatalf("type a message: %v", err)
	}
	lastWho := `(() => { const li = [...document.querySelectorAll("#log li.message")].pop(); return li.querySelector(".who").textContent + (li.classList.contains("own") ? " own" : ""); })()`
	waitJS(t, tabB, lastWho+` === "alice #`+secondID[:6]+`"`)
	waitJS(t, tabA, lastWho+` === "alice #`+secondID[:6]+`"`)
	waitJS(t, tabC, lastWho+` === "alice #`+secondID[:6]+` own"`)
	// Alice's earlier messages are now tagged with her own id on bob's page.
	waitJS(t, tabB, `[...document.querySelectorAll("#log li.message .who")].filter(w => w.textContent.startsWith("alice #") && !w.textContent.endsWith(`+jsString(secondID[:6])+`)).length === 2`)

	// Bob answers: marked as his own on his page, shown in the screenshot.
	if err := chromedp.Do(tabB, chromedp.SendKeys(chromedp.CSS("#text"), "welcome, both of you\r")); err != nil {
		t.Fatalf("type a message: %v", err)
	}
	waitJS(t, tabB, lastWho+` === "bob own"`)

	shot, err := chromedp.Run(tabB, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.ArtifactDir(), "chat-bob.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	t.Logf("screenshot of bob's page: %s", path)

	// The second alice leaves: the others list her no more.
	if err := chromedp.Do(tabC, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("leave: %v", err)
	}
	waitJS(t, tabB, membersAre("alice", "bob (you)"))
	waitJS(t, tabA, membersAre("alice (you)", "bob"))
}

// TestBrowserRefusal checks the page against refusals and lost connections: the
// browser itself refuses names and rooms the server would refuse; a refusal by the
// server is shown with its reason and not retried; a lost connection is retried with a
// growing wait, and pressing Join again starts over with the shortest wait.
func TestBrowserRefusal(t *testing.T) {
	p := newProfile(t, "local")
	a := startInstance(t, p, nil)
	tab := newBrowser(t)
	if err := chromedp.Do(tab,
		chromedp.Navigate("http://"+a.Addr()+"/"),
		chromedp.WaitVisible(chromedp.CSS("#join")),
		// Count the WebSockets the page opens and record every status it shows.
		chromedp.Evaluate[chromedp.Void](`
			window.sockets = 0;
			window.WebSocket = new Proxy(window.WebSocket, { construct(target, args) { window.sockets++; return new target(...args); } });
			window.statuses = [];
			new MutationObserver(() => window.statuses.push(document.getElementById("status").textContent))
				.observe(document.getElementById("status"), { childList: true, characterData: true, subtree: true });
			true`),
	); err != nil {
		t.Fatalf("open the page: %v", err)
	}

	for _, tc := range []struct {
		field, value string
		bad          bool
	}{
		{"name", "Alice Smith", true}, {"name", "Zoë", true}, {"room", "my room", true},
		{"name", "alice", false}, {"room", "lobby-1.a_b", false},
	} {
		got, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(() => { const f = document.getElementById(`+jsString(tc.field)+`); f.value = `+jsString(tc.value)+`; return f.validity.patternMismatch; })()`))
		if err != nil || got != tc.bad {
			t.Errorf("%s %q: patternMismatch %v (%v), want %v", tc.field, tc.value, got, err, tc.bad)
		}
	}
	// The browser does not submit the form with a refused name.
	if err := chromedp.Do(tab,
		chromedp.SetValue(chromedp.CSS("#room"), "lobby"),
		chromedp.SetValue(chromedp.CSS("#name"), "Alice Smith"),
		chromedp.Click(chromedp.CSS("#join-button")),
	); err != nil {
		t.Fatal(err)
	}
	if n, err := chromedp.Run(tab, chromedp.Evaluate[int](`window.sockets`)); err != nil || n != 0 {
		t.Errorf("the page opened %d WebSockets for an invalid name (%v), want none", n, err)
	}

	// Past the browser's check, the server refuses with the reason, and the page stops.
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("join").noValidate = true; true`),
		chromedp.Click(chromedp.CSS("#join-button")),
	); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab, `document.getElementById("status").dataset.state === "refused"`)
	status, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#status")))
	if err != nil || !strings.Contains(status, "name may only contain letters, digits") {
		t.Errorf("status %q (%v), want the server's reason", status, err)
	}
	if n, err := chromedp.Run(tab, chromedp.Evaluate[int](`window.sockets`)); err != nil || n != 1 {
		t.Errorf("the page opened %d WebSockets for a refused name (%v), want 1", n, err)
	}

	// A valid name connects; losing the server is retried with a growing wait.
	if err := chromedp.Do(tab,
		chromedp.SetValue(chromedp.CSS("#name"), "alice"),
		chromedp.Click(chromedp.CSS("#join-button")),
		chromedp.WaitEnabled(chromedp.CSS("#text")),
	); err != nil {
		t.Fatalf("join: %v", err)
	}
	a.Stop()
	const retries = `window.statuses.filter(s => s.includes("reconnecting in"))`
	waitJS(t, tab, retries+`.length >= 3`)
	waits, err := chromedp.Run(tab, chromedp.Evaluate[[]string](retries+`.slice(0, 3)`))
	if err != nil || len(waits) != 3 || !strings.Contains(waits[0], "server shutting down") ||
		!strings.HasSuffix(waits[0], "in 0.5 s") || !strings.HasSuffix(waits[1], "in 1 s") || !strings.HasSuffix(waits[2], "in 2 s") {
		t.Errorf("statuses while the server is away: %q (%v), want waits of 0.5, 1 and 2 s, the first for the shutdown", waits, err)
	}
	// Join starts over: the first retry after it waits the shortest time again.
	mark, err := chromedp.Run(tab, chromedp.Evaluate[int](`window.statuses.length`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("#join-button"))); err != nil {
		t.Fatal(err)
	}
	after := `window.statuses.slice(` + strconv.Itoa(mark) + `).filter(s => s.includes("reconnecting in"))`
	waitJS(t, tab, after+`.length >= 1`)
	first, err := chromedp.Run(tab, chromedp.Evaluate[string](after+`[0]`))
	if err != nil || !strings.HasSuffix(first, "in 0.5 s") {
		t.Errorf("first retry after Join: %q (%v), want a wait of 0.5 s", first, err)
	}
}

// membersAre is a JavaScript condition: the members list shows exactly entries, in order.
func membersAre(entries ...string) string {
	quoted := make([]string, len(entries))
	for i, e := range entries {
		quoted[i] = jsString(e)
	}
	return `JSON.stringify([...document.querySelectorAll("#members li")].map(li => li.textContent)) === JSON.stringify([` + strings.Join(quoted, ",") + `])`
}

// waitJS polls expression in tab until it is true.
func waitJS(t *testing.T, tab context.Context, expression string) {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](expression, chromedp.WithPollingTimeout(wait))); err != nil {
		page, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById("status").textContent + " | members: " + document.getElementById("members").textContent`))
		t.Fatalf("waiting for %s: %v (page: %s)", expression, err, page)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b := []byte{'"'}
	for _, r := range s {
		switch r {
		case '"', '\\':
			b = append(b, '\\', byte(r))
		default:
			b = append(b, string(r)...)
		}
	}
	return string(append(b, '"'))
}
