package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRunRefuses checks the usage errors: exit status 2 and nothing dialled.
func TestRunRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"remote target":    {[]string{"-targets", "ws://192.0.2.1:8080", "-duration", "1s"}, "not a loopback address"},
		"bad rate":         {[]string{"-rate", "fast"}, "rate"},
		"too many clients": {[]string{"-targets", "ws://127.0.0.1:1", "-rooms", "1000", "-members", "11"}, "more than 10000"},
		"too long":         {[]string{"-targets", "ws://127.0.0.1:1", "-duration", "11m"}, "duration"},
		"room search":      {[]string{"-find-room-limit", "-targets", "ws://127.0.0.1:1", "-room-growth", "1"}, "growth"},
		"unknown flag":     {[]string{"-no-such-flag"}, "no-such-flag"},
		"argument":         {[]string{"extra"}, "unexpected arguments"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, &stdout, &stderr); code != 2 {
				t.Errorf("exit status %d, want 2 (stderr %q)", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}
