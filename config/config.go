// Package config holds the topology profiles millrace binaries ship with, embedded so a
// binary runs with no files beside it, and resolves a profile name or a file path to a
// loaded topology.
package config

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/google/wire"

	// The profiles, and files written like them, use the transport kinds millrace ships
	// with; importing config registers them.
	_ "github.com/millrace/millrace/internal/transport/builtin"
	"github.com/millrace/millrace/topology"
)

//go:embed *.yaml topology.schema.json
var files embed.FS

// DefaultProfile is the profile used when none is named: in memory, no servers.
const DefaultProfile = "local"

// Profiles returns the names of the embedded profiles, sorted.
func Profiles() []string {
	entries, err := fs.Glob(files, "*.yaml")
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e, ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Profile returns the YAML of the embedded profile name.
func Profile(name string) ([]byte, error) {
	data, err := files.ReadFile(name + ".yaml")
	if err != nil {
		hint := ""
		if s := closest(name, Profiles()); s != "" {
			hint = fmt.Sprintf("did you mean %q? ", s)
		}
		return nil, fmt.Errorf("unknown profile %q (%sprofiles: %s)", name, hint, strings.Join(Profiles(), ", "))
	}
	return data, nil
}

// closest returns the name nearest to s by edit distance, if it is near enough to be
// a misspelling (at most a third of its letters differ), else "".
func closest(s string, names []string) string {
	best, bestD := "", len(s)/3+1
	for _, n := range names {
		if d := editDistance(strings.ToLower(s), n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein (optimal string alignment) distance between
// a and b: insertions, deletions, substitutions and swaps of two neighbours.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// Schema returns the JSON Schema of the topology file format.
func Schema() []byte {
	data, err := files.ReadFile("topology.schema.json")
	if err != nil {
		panic("config: schema not embedded: " + err.Error())
	}
	return data
}

// Source names where a topology comes from: an embedded profile name ("redis") or a path
// to a YAML file ("./my-topology.yaml"). Anything containing a path separator or ending in
// .yaml/.yml is a path.
type Source string

// EnvTopology is the environment variable that names the topology when no flag does.
const EnvTopology = "MILLRACE_TOPOLOGY"

// SourceOf returns the topology to use: flag when set, else the EnvTopology variable
// getenv returns, else def, else DefaultProfile. Every binary and command resolves its
// --topology this way.
func SourceOf(flag string, getenv func(string) string, def Source) Source {
	switch {
	case flag != "":
		return Source(flag)
	case getenv != nil && getenv(EnvTopology) != "":
		return Source(getenv(EnvTopology))
	case def != "":
		return def
	}
	return DefaultProfile
}

// IsPath reports whether the source names a file rather than an embedded profile.
func (s Source) IsPath() bool {
	v := string(s)
	return strings.ContainsRune(v, os.PathSeparator) || strings.Contains(v, "/") ||
		path.Ext(v) == ".yaml" || path.Ext(v) == ".yml"
}

// Load reads and validates the topology the source names, with ${VAR} expanded from the
// process environment. An empty source means DefaultProfile.
func Load(src Source) (*topology.Topology, error) {
	if src == "" {
		src = DefaultProfile
	}
	if src.IsPath() {
		return topology.Load(string(src))
	}
	data, err := Profile(string(src))
	if err != nil {
		return nil, err
	}
	return topology.Parse(string(src)+".yaml", data)
}

// ProviderSet provides the *topology.Topology of a Source.
var ProviderSet = wire.NewSet(Load)
