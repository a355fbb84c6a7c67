package registration_test

import (
	"testing"

	"github.com/millrace/millrace/internal/router"
	"github.com/millrace/millrace/internal/testenv"
	"github.com/millrace/millrace/topology"
)

// cleanupBrokers removes, when the test ends, the exchanges, queues and streams its
// topics created on the brokers (durable ones would otherwise outlive the run).
// Call it before starting the services so it runs after they stopped.
func cleanupBrokers(t testing.TB, topo *topology.Topology) {
	t.Helper()
	var topics []string
	for _, tp := range topo.Topics {
		if !tp.IsPattern() {
			topics = append(topics, tp.Name)
		}
	}
	groups := []string{"observer", router.PoisonStoreGroup}
	for _, h := range topo.Handlers {
		groups = append(groups, h.Policy.Group)
	}
	t.Cleanup(func() {
		for _, topic := range topics {
			if tp, err := topo.Resolve(topic); err == nil {
				testenv.DropTopic(t, topo.Transports[tp.Transport], topic, groups...)
			}
		}
	})
}
