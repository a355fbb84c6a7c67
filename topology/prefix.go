package topology

import "strings"

// WithTopicPrefix returns a copy of t in which every topic has prefix in front: the
// topics, the topics and patterns of the handlers, and poison topics written without
// {topic}. Consumer groups stay as they are; every transport scopes a group to its topic
// (RabbitMQ queue <topic>.<group>, a Redis group on the topic's stream, SQL offsets per
// topic table), so a copy with a fresh prefix shares no queue, stream or table with t.
// Tests use it to run real handlers on real brokers without touching what a running
// service consumes.
func (t *Topology) WithTopicPrefix(prefix string) *Topology {
	c := *t
	c.Topics = make([]*Topic, len(t.Topics))
	for i, tp := range t.Topics {
		cp := *tp
		cp.Name = prefix + tp.Name
		c.Topics[i] = &cp
	}
	c.Handlers = make([]*Handler, len(t.Handlers))
	for i, h := range t.Handlers {
		ch := *h
		ch.Pattern = prefix + h.Pattern
		ch.Topics = make([]string, len(h.Topics))
		for j, topic := range h.Topics {
			ch.Topics[j] = prefix + topic
		}
		ch.Policy = prefixPolicy(h.Policy, prefix)
		c.Handlers[i] = &ch
	}
	c.Defaults = prefixPolicy(t.Defaults, prefix)
	c.index = buildIndex(&c)
	return &c
}

func prefixPolicy(p Policy, prefix string) Policy {
	if p.PoisonTopic != "" && !strings.Contains(p.PoisonTopic, "{topic}") {
		p.PoisonTopic = prefix + p.PoisonTopic
	}
	return p
}
