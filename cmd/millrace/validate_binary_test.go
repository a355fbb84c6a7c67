package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateBadCorpus runs the built binary on every file of testdata/bad at once and
// compares what it prints with testdata/bad/expected.txt: each problem of each file as
// file:line:col: field: message, all reported in one run, then exit 1 naming how many
// files were invalid. After a deliberate change of a message, update expected.txt with
//
//	go run . topology validate testdata/bad/*.yaml 2> testdata/bad/expected.txt
func TestValidateBadCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) < 8 {
		t.Fatalf("corpus: %v (%d files)", err, len(files))
	}
	want, err := os.ReadFile("testdata/bad/expected.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, append([]string{"topology", "validate"}, files...)...)
	if r.code != exitFailure {
		t.Errorf("exit %d, want %d", r.code, exitFailure)
	}
	if r.stdout != "" {
		t.Errorf("an invalid file was reported on stdout:\n%s", r.stdout)
	}
	if r.stderr != string(want) {
		t.Errorf("output differs from testdata/bad/expected.txt\ngot:\n%s\nwant:\n%s", r.stderr, want)
	}
	for _, f := range files {
		if !strings.Contains(r.stderr, f+":") {
			t.Errorf("no problem reported for %s", f)
		}
	}
}

// TestExplainBinaryNeverPrintsAPassword runs the built binary's explain on every
// profile with passwords in every connection setting.
func TestExplainBinaryNeverPrintsAPassword(t *testing.T) {
	t.Setenv("MILLRACE_AMQP_URL", "amqp://admin:amqp-secret-1@broker:5672/")
	t.Setenv("MILLRACE_REDIS_PASSWORD", "redis-secret-2")
	t.Setenv("MILLRACE_POSTGRES_DSN", "postgres://app:pg-secret-3@db:5432/app")
	for _, profile := range []string{"local", "rabbitmq", "redis", "postgres", "production"} {
		out := mustRun(t, "topology", "explain", profile)
		for _, secret := range []string{"amqp-secret-1", "redis-secret-2", "pg-secret-3"} {
			if strings.Contains(out, secret) {
				t.Errorf("explain %s printed %q:\n%s", profile, secret, out)
			}
		}
		if !strings.Contains(out, "TOPIC") {
			t.Errorf("explain %s printed no topics:\n%s", profile, out)
		}
	}
}
