// Package mailtest runs SMTP servers for tests.
package mailtest

import (
	"net"
	"testing"

	"github.com/emersion/go-smtp"
)

// Serve runs an SMTP server (emersion/go-smtp) with backend on 127.0.0.1:0 until the
// test ends and returns its address. It accepts AUTH without TLS.
func Serve(tb testing.TB, backend smtp.Backend) string {
	tb.Helper()
	srv := smtp.NewServer(backend)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	tb.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ln.Addr().String()
}
