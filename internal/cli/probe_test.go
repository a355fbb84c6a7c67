package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if code, _, stderr := runCLI(t, "probe", srv.URL+"/readyz"); code != ExitOK {
		t.Errorf("probe of a 200 endpoint: exit %d: %s", code, stderr)
	}
	code, _, stderr := runCLI(t, "probe", srv.URL+"/other")
	if code != ExitFailure || !strings.Contains(stderr, "503") {
		t.Errorf("probe of a 503 endpoint: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := runCLI(t, "probe", "--timeout", "500ms", "http://127.0.0.1:1/"); code != ExitFailure {
		t.Errorf("probe of a closed port: exit %d, want %d", code, ExitFailure)
	}
	// HOST:PORT/PATH without a scheme is http.
	if code, _, stderr := runCLI(t, "probe", strings.TrimPrefix(srv.URL, "http://")+"/readyz"); code != ExitOK {
		t.Errorf("probe without a scheme: exit %d: %s", code, stderr)
	}
}
