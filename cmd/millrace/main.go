// Command millrace is the millrace command line: it checks, explains and connects
// topology files.
//
// Exit status: 0 on success, 1 on failure (an invalid topology, an unreachable broker), 2
// on a usage error.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
