package topology

// Internals the external tests (package topology_test) check directly.
var (
	ExpandEnv    = expandEnv
	IsPattern    = isPattern
	ExpandPoison = expandPoison
	Suggest      = suggest
	// KnownKeys are the keys of each section of the file format, by section name; the
	// names are the $defs names of config/topology.schema.json ("topology" is the root).
	KnownKeys = knownKeys
)

// Section names the tests use.
const (
	SecTopology  = secTopology
	SecTransport = secTransport
	SecTopic     = secTopic
)
