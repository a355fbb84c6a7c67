package chat_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

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

// TestBrowser opens the page on two instances in headless Chromium: a message sent on
// one appears on the other and once on the sender's page, and a message with markup is
// shown as text.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	p := newProfile(t, "redis")
	a := startInstance(t, p, nil)
	b := startInstance(t, p, nil)
	room := "browser-" + suffix(t)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(900, 600))
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	// The first Run on the browser context starts Chromium and opens tab A; tab B is
	// made once the browser runs, so it opens in the same browser.
	tabA := ctx

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
	open(tabA, a.addr, "alice")
	tabB, cancelB := chromedp.NewContext(ctx)
	defer cancelB()
	open(tabB, b.addr, "bob")
	// Alice sees bob join: from then on bob's instance delivers to him.
	waitJS(t, tabA, `[...document.querySelectorAll("#log li.presence")].some(li => li.textContent.includes("bob joined"))`)

	const hello = "hello from alice"
	const markup = `<script>window.pwned = 1</script><b>bold</b>`
	if err := chromedp.Do(tabA,
		chromedp.SendKeys(chromedp.CSS("#text"), hello+"\r"),
		chromedp.SendKeys(chromedp.CSS("#text"), markup+"\r"),
	); err != nil {
		t.Fatalf("type messages: %v", err)
	}
	count := func(text string) string {
		return `[...document.querySelectorAll("#log li.message .text")].filter(s => s.textContent === ` + jsString(text) + `).length`
	}
	for _, tab := range []context.Context{tabB, tabA} {
		waitJS(t, tab, count(hello)+` === 1`)
		waitJS(t, tab, count(markup)+` === 1`)
	}
	// The markup arrived after hello on both pages; hello is still there once.
	for name, tab := range map[string]context.Context{"alice": tabA, "bob": tabB} {
		n, err := chromedp.Run(tab, chromedp.Evaluate[int](count(hello)))
		if err != nil || n != 1 {
			t.Errorf("%s's page shows %q %d times (%v), want once", name, hello, n, err)
		}
		injected, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector("#log b, #log script") !== null || window.pwned !== undefined`))
		if err != nil || injected {
			t.Errorf("%s's page rendered the message as markup (%v)", name, err)
		}
	}

	shot, err := chromedp.Run(tabB, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.ArtifactDir(), "chat-bob.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	t.Logf("screenshot of bob's page: %s", path)
}

// waitJS polls expression in tab until it is true.
func waitJS(t *testing.T, tab context.Context, expression string) {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](expression, chromedp.WithPollingTimeout(wait))); err != nil {
		t.Fatalf("waiting for %s: %v", expression, err)
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
