package testenv

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// ExpectGet checks that GET url answers status with a body containing every one of
// want, and returns the body.
func ExpectGet(tb testing.TB, url string, status int, want ...string) string {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != status {
		tb.Errorf("GET %s: %d, want %d: %.400s", url, resp.StatusCode, status, body)
	}
	for _, w := range want {
		if !strings.Contains(string(body), w) {
			tb.Errorf("GET %s lacks %q:\n%.2000s", url, w, body)
		}
	}
	return string(body)
}
