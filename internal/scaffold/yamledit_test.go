package scaffold

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// addedLines returns the lines of after that before lacks, assuming after only adds.
func addedLines(t *testing.T, before, after string) []string {
	t.Helper()
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	var added []string
	i := 0
	for _, l := range a {
		if i < len(b) && l == b[i] {
			i++
			continue
		}
		added = append(added, l)
	}
	if i != len(b) {
		t.Fatalf("the edit removed or changed lines:\n%s", after)
	}
	return added
}

func TestAddEntryFlowStyleKeepsTheFile(t *testing.T) {
	src, err := os.ReadFile("../../config/redis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := addEntry(src, "topics", "orders.placed", []field{{"transport", "redis"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err = addEntry(out, "handlers", "ship-order", []field{{"topic", "orders.placed"}})
	if err != nil {
		t.Fatal(err)
	}
	got := addedLines(t, string(src), string(out))
	want := []string{
		"  orders.placed:    {transport: redis}",
		"  ship-order:              {topic: orders.placed}",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("added lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The topic goes at the end of topics, before the blank line and defaults.
	if !strings.Contains(string(out), "{transport: redis, delivery: broadcast}\n  orders.placed:    {transport: redis}\n\ndefaults:") {
		t.Errorf("topic not appended at the end of its section:\n%s", out)
	}
}

func TestAddEntryBlockStyle(t *testing.T) {
	src := `version: 1
# the transports
transports:
  memory:
    kind: gochannel
topics:
  a.b:
      transport: memory   # deeper indentation is kept
# handlers follow
handlers:
  h:
    topic: a.b
`
	out, err := addEntry([]byte(src), "topics", "c.d", []field{{"transport", "memory"}})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(src, "# handlers follow", "  c.d:\n      transport: memory\n# handlers follow", 1)
	if string(out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestAddEntryRefusals(t *testing.T) {
	for name, c := range map[string]struct {
		src    string
		unsafe bool
	}{
		"flow section":    {"topics: {a: {transport: m}}\n", true},
		"no section":      {"version: 1\n", true},
		"empty section":   {"topics: {}\n", true},
		"scalar entries":  {"topics:\n  a: m\n", true},
		"existing key":    {"topics:\n  x.y: {transport: m}\n", false},
		"not a mapping":   {"- a\n- b\n", true},
		"invalid yaml":    {"topics: [\n", false},
		"flow document":   {"{topics: {a: {transport: m}}}\n", true},
		"comment only":    {"# nothing\n", true},
		"null section":    {"topics:\nhandlers:\n", true},
		"section is list": {"topics:\n  - a\n", true},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := addEntry([]byte(c.src), "topics", "x.y", []field{{"transport", "m"}})
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, errUnsafeEdit); got != c.unsafe {
				t.Errorf("unsafe = %v (%v), want %v", got, err, c.unsafe)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"orders.placed": "orders.placed",
		"users.*":       `"users.*"`,
		"yes":           `"yes"`,
		"1.5":           `"1.5"`,
		`a"b`:           `"a\"b"`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}
