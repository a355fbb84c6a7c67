// Command millrace is the millrace command line: it checks, explains and connects
// topology files (package internal/cli), plus the commands of this binary's own files,
// such as demo.
//
// Exit status: 0 on success, 1 on failure (an invalid topology, an unreachable broker), 2
// on a usage error.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/millrace/millrace/internal/cli"
)

// commands are the options that add this binary's own commands; each command's file
// appends its option, so deleting the file removes the command.
var commands []cli.Option

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts := slices.Concat(commands, []cli.Option{cli.WithConnector(connect)})
	return cli.Run(ctx, args, stdout, stderr, opts...)
}
