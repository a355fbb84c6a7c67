// Package cli is the millrace command line: the cobra command tree, its exit codes and
// the work behind each command, so that tests run it in-process through Run. A binary
// adds its own commands with WithCommand.
package cli
