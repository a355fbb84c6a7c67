package topology

import (
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// setting is a value read from the file and where it was written.
type setting[T any] struct {
	v   T
	set bool
	pos Pos
}

func (s *setting[T]) put(v T, p Pos, ok bool) {
	if ok {
		s.v, s.set, s.pos = v, true, p
	}
}

// policyInput is a defaults or handler section as written.
type policyInput struct {
	field           string
	group           setting[string]
	concurrency     setting[int]
	timeout         setting[time.Duration]
	maxAttempts     setting[int]
	initialInterval setting[time.Duration]
	maxInterval     setting[time.Duration]
	multiplier      setting[float64]
	poison          setting[string]
	// poisonBad is set when the poison template is invalid (already reported).
	poisonBad bool
}

func builtinPolicy() Policy {
	return Policy{
		Concurrency: defaultConcurrency,
		Retry: Retry{
			MaxAttempts:     defaultMaxAttempts,
			InitialInterval: defaultInitialInterval,
			MaxInterval:     defaultMaxInterval,
			Multiplier:      defaultMultiplier,
		},
		PoisonTopic: defaultPoisonTopic,
	}
}

// merge returns base with every setting of in that was written replacing base's.
func (in *policyInput) merge(base Policy, fallbackGroup string) Policy {
	p := base
	if in.group.set {
		p.Group = in.group.v
	}
	if p.Group == "" {
		p.Group = fallbackGroup
	}
	if in.concurrency.set {
		p.Concurrency = in.concurrency.v
	}
	if in.timeout.set {
		p.Timeout = in.timeout.v
	}
	if in.maxAttempts.set {
		p.Retry.MaxAttempts = in.maxAttempts.v
	}
	if in.initialInterval.set {
		p.Retry.InitialInterval = in.initialInterval.v
	}
	if in.maxInterval.set {
		p.Retry.MaxInterval = in.maxInterval.v
	}
	if in.multiplier.set {
		p.Retry.Multiplier = in.multiplier.v
	}
	if in.poison.set {
		p.PoisonTopic = in.poison.v
	}
	return p
}

// parsePolicy reads the policy settings of the mapping under key in parent (the
// defaults section, or one handler).
func (l *loader) parsePolicy(parent *mapping, key, section string) *policyInput {
	in := &policyInput{field: key}
	e, ok := parent.get(key)
	if !ok {
		return in
	}
	m, ok := l.mapping(e.val, key)
	if !ok {
		return in
	}
	l.checkKeys(m, section, key)
	l.readPolicy(m, in)
	return in
}

// readPolicy reads the policy keys of m into in.
func (l *loader) readPolicy(m *mapping, in *policyInput) {
	field := in.field
	if g, p, ok := l.str(m, "group", field); ok {
		if msg := checkHandlerName("group", g); msg != "" {
			l.addf(p, join(field, "group"), "%s", msg)
		} else {
			in.group.put(g, p, true)
		}
	}
	c, p, ok := l.integer(m, "concurrency", field, 1)
	in.concurrency.put(int(c), p, ok)
	d, p, ok := l.duration(m, "timeout", field, true)
	in.timeout.put(d, p, ok)

	if e, ok := m.get("retry"); ok {
		rf := join(field, "retry")
		if rm, ok := l.mapping(e.val, rf); ok {
			l.checkKeys(rm, secRetry, rf)
			n, p, ok := l.integer(rm, "max_attempts", rf, 1)
			in.maxAttempts.put(int(n), p, ok)
			d, p, ok := l.duration(rm, "initial_interval", rf, false)
			in.initialInterval.put(d, p, ok)
			d, p, ok = l.duration(rm, "max_interval", rf, false)
			in.maxInterval.put(d, p, ok)
			f, p, ok := l.float(rm, "multiplier", rf, 1)
			in.multiplier.put(f, p, ok)
		}
	}
	if e, ok := m.get("poison"); ok {
		pf := join(field, "poison")
		if e.val.Kind != yaml.MappingNode && !isNull(e.val) {
			l.addf(posOf(e.val), pf, "poison must be a mapping such as {topic: \"{topic}.poison\"}; to turn the poison queue off write poison: {topic: \"\"}")
			in.poisonBad = true
		} else if pm, ok := l.mapping(e.val, pf); ok {
			l.checkKeys(pm, secPoison, pf)
			if t, p, ok := l.str(pm, "topic", pf); ok {
				if msg := checkPoisonTemplate(t); msg != "" {
					l.addf(p, join(pf, "topic"), "%s", msg)
					in.poisonBad = true
				} else if msg := checkTopicName(expandPoison(t, "topic", "handler"), false); t != "" && msg != "" {
					l.addf(p, join(pf, "topic"), "poison topic template %q does not give a valid topic name: %s", t, msg)
					in.poisonBad = true
				} else {
					in.poison.put(t, p, true)
				}
			} else if _, present := pm.get("topic"); present {
				in.poisonBad = true
			}
		}
	}
}

// checkRetryOrder reports max_interval < initial_interval in the effective policy when
// in wrote either of them.
func (l *loader) checkRetryOrder(in *policyInput, base Policy, field string) {
	if !in.initialInterval.set && !in.maxInterval.set {
		return
	}
	eff := in.merge(base, "")
	if eff.Retry.MaxInterval >= eff.Retry.InitialInterval {
		return
	}
	rf := join(field, "retry")
	p, f := in.maxInterval.pos, join(rf, "max_interval")
	if !in.maxInterval.set {
		p, f = in.initialInterval.pos, join(rf, "initial_interval")
	}
	l.addf(p, f, "max_interval (%s) must not be less than initial_interval (%s)", eff.Retry.MaxInterval, eff.Retry.InitialInterval)
}

// handlerInput is a handler or route entry as read, with what later checks need.
type handlerInput struct {
	h *Handler
	// route is the entry's route; nil for a handler.
	route    *Route
	key      Pos
	field    string
	topicPos Pos
	toPos    Pos
	policy   *policyInput
}

// consumerSection says how a section of consumers (handlers or routes) is written.
type consumerSection struct {
	// name is the top-level key ("handlers", "routes"); section the checked keys.
	name, section string
	// topicKey is the key naming the consumed topic or glob ("topic", "from").
	topicKey string
	// noun names one entry in messages.
	noun string
}

var (
	handlersSection = consumerSection{name: "handlers", section: secHandler, topicKey: "topic", noun: "handler"}
	routesSection   = consumerSection{name: "routes", section: secRoute, topicKey: "from", noun: "route"}
)

// parseConsumers reads the entries of a handlers or routes section.
func (l *loader) parseConsumers(e entry, defaults *policyInput, cs consumerSection) []*handlerInput {
	m, ok := l.mapping(e.val, cs.name)
	if !ok {
		return nil
	}
	var hs []*handlerInput
	for _, he := range m.entries {
		if hi := l.parseHandler(he, defaults, cs); hi != nil {
			hs = append(hs, hi)
		}
	}
	return hs
}

// finishConsumers runs the checks that need every handler and route, and adds them to
// the topology.
func (l *loader) finishConsumers(hs []*handlerInput, defaults *policyInput) {
	// Poison topics are derived after every handler is read, so whether a handler may
	// consume a topic never depends on the order of handlers.
	derived := map[string]*Topic{}
	for _, hi := range hs {
		l.derivePoison(hi, defaults, derived)
	}
	l.checkNames(hs)
	l.checkGroupOverlap(hs)
	l.checkRoutes(hs)
	for _, hi := range hs {
		if hi.route != nil {
			l.t.Routes = append(l.t.Routes, hi.route)
		} else {
			l.t.Handlers = append(l.t.Handlers, hi.h)
		}
	}
}

// checkNames reports a route named like a handler: both names are consumer groups and
// queue names.
func (l *loader) checkNames(hs []*handlerInput) {
	handlers := map[string]*handlerInput{}
	for _, hi := range hs {
		if hi.route == nil {
			handlers[hi.h.Name] = hi
		}
	}
	for _, hi := range hs {
		if other, ok := handlers[hi.h.Name]; ok && hi.route != nil {
			l.addf(hi.key, hi.field, "route %q has the name of the handler at line %d; handler and route names share one namespace (they name consumer groups)", hi.h.Name, other.key.Line)
		}
	}
}

// checkGroupOverlap reports two handlers of one consumer group on the same topic: they
// would compete for its messages, each getting only some of them.
func (l *loader) checkGroupOverlap(hs []*handlerInput) {
	type slot struct{ group, topic string }
	first := make(map[slot]*handlerInput)
	for _, hi := range hs {
		for _, topic := range hi.h.Topics {
			k := slot{hi.h.Policy.Group, topic}
			other, taken := first[k]
			if !taken {
				first[k] = hi
				continue
			}
			l.addf(hi.key, join(hi.field, "group"),
				"handlers %q (line %d) and %q are both in group %q on topic %q and would each get only part of its messages; give one its own group",
				other.h.Name, other.key.Line, hi.h.Name, k.group, topic)
		}
	}
}

func (l *loader) parseHandler(he entry, defaults *policyInput, cs consumerSection) *handlerInput {
	field := join(cs.name, he.name)
	hi := &handlerInput{key: posOf(he.key), field: field}
	if cs.section == secRoute {
		hi.route = &Route{Handler: Handler{Name: he.name, Pos: posOf(he.key)}}
		hi.h = &hi.route.Handler
	} else {
		hi.h = &Handler{Name: he.name, Pos: posOf(he.key)}
	}
	if msg := checkHandlerName(cs.noun+" name", he.name); msg != "" {
		l.addf(hi.key, field, "%s", msg)
	}
	m, ok := l.mapping(he.val, field)
	if !ok {
		return hi
	}
	l.checkKeys(m, cs.section, field)
	in := &policyInput{field: field}
	l.readPolicy(m, in)
	hi.policy = in
	base := defaults.merge(builtinPolicy(), "")
	if hi.route != nil {
		// A route's name is its consumer group, whatever the defaults say.
		base.Group = ""
	}
	hi.h.Policy = in.merge(base, he.name)
	l.checkRetryOrder(in, base, field)
	hi.h.Filter = l.parseFilter(m, field)
	if hi.route != nil {
		l.parseRouteTo(m, hi)
	}

	topicField := join(field, cs.topicKey)
	pattern, p, ok := l.str(m, cs.topicKey, field)
	if !ok {
		if _, present := m.get(cs.topicKey); !present {
			l.addf(hi.key, topicField, "%s is required (a declared topic, or a glob such as \"users.*\")", cs.topicKey)
		}
		return hi
	}
	hi.h.Pattern, hi.topicPos = pattern, p
	if msg := checkTopicName(pattern, true); msg != "" {
		l.addf(p, topicField, "%s", msg)
		return hi
	}
	if isPattern(pattern) {
		segs := strings.Split(pattern, ".")
		for _, tp := range l.t.Topics {
			if !tp.IsPattern() && matchSegments(segs, tp.Name) {
				hi.h.Topics = append(hi.h.Topics, tp.Name)
			}
		}
		if len(hi.h.Topics) == 0 {
			l.addf(p, topicField, "glob %q matches no declared topic (a handler consumes concrete topics; patterns in topics do not count)", pattern)
		}
		return hi
	}
	tp := l.idx.resolve(pattern)
	if tp == nil {
		l.undeclaredTopic(pattern, p, topicField)
		return hi
	}
	if tp.IsPattern() {
		l.checkKindTopic(pattern, tp.Transport, p, topicField)
	}
	hi.h.Topics = []string{pattern}
	return hi
}

// derivePoison checks a handler's poison topics and adds a derived topic for each one no
// entry covers.
func (l *loader) derivePoison(hi *handlerInput, defaults *policyInput, derived map[string]*Topic) {
	h := hi.h
	if hi.policy == nil || hi.policy.poisonBad || (!hi.policy.poison.set && defaults.poisonBad) {
		return
	}
	tmpl := h.Policy.PoisonTopic
	if tmpl == "" {
		return
	}
	p, field := hi.key, join(hi.field, "poison.topic")
	if hi.policy.poison.set {
		p = hi.policy.poison.pos
	}
	for _, topic := range h.Topics {
		pt := expandPoison(tmpl, topic, h.Name)
		if msg := checkTopicName(pt, false); msg != "" {
			l.addf(p, field, "poison topic of %q: %s", topic, msg)
			continue
		}
		if slices.Contains(h.Topics, pt) {
			l.addf(p, field, "poison topic %q of topic %q is consumed by this handler; failed messages would loop", pt, topic)
			continue
		}
		src := l.idx.resolve(topic)
		if l.idx.resolve(pt) != nil || src == nil {
			if d, ok := derived[pt]; ok && src != nil && d.Transport != src.Transport {
				l.addf(p, field, "poison topic %q is derived on transport %q here and on %q at line %d col %d; declare it in topics",
					pt, src.Transport, d.Transport, d.Pos.Line, d.Pos.Col)
			}
			continue
		}
		d := &Topic{Name: pt, Transport: src.Transport, Delivery: Shared, Derived: true, Pos: p}
		derived[pt] = d
		l.checkKindTopic(pt, d.Transport, p, field)
		l.t.Topics = append(l.t.Topics, d)
		l.idx.add(d)
	}
}
