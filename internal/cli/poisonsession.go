package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/millrace/millrace/internal/poison"
	"github.com/millrace/millrace/topology"
)

// poisonSession holds the stores of the transports the selected poison topics live on.
type poisonSession struct {
	topo   *topology.Topology
	topics []poison.Topic
	stores map[string]poison.Store
	stderr io.Writer
}

// openPoison loads the topology and opens a store for each transport that holds a
// poison topic f may select. Topics on the in-memory transport are reported on stderr;
// if no topic is left the error says why.
func openPoison(topo *topology.Topology, f poison.Filter, stderr io.Writer) (*poisonSession, error) {
	all, err := poison.Topics(topo)
	if err != nil {
		return nil, err
	}
	s := &poisonSession{topo: topo, stores: map[string]poison.Store{}, stderr: stderr}
	var inMemory []string
	for _, t := range all {
		if f.Topic != "" && f.Topic != t.Name && !slices.Contains(t.Sources, f.Topic) {
			continue
		}
		if f.Handler != "" && len(t.Handlers) > 0 && !slices.Contains(t.Handlers, f.Handler) {
			continue
		}
		if _, ok := s.stores[t.Transport]; !ok {
			tr, _ := topo.Transport(t.Transport)
			if err := sqliteFileExists(tr); err != nil {
				s.Close()
				return nil, fmt.Errorf("poison topics on transport %s: %w", tr.Name, err)
			}
			st, err := poison.Open(tr)
			if errors.Is(err, poison.ErrInMemory) {
				inMemory = append(inMemory, t.Name)
				continue
			}
			if err != nil {
				s.Close()
				return nil, err
			}
			s.stores[t.Transport] = st
		}
		s.topics = append(s.topics, t)
	}
	if len(inMemory) > 0 {
		msg := fmt.Sprintf("%s: %v", strings.Join(inMemory, ", "), poison.ErrInMemory)
		if len(s.topics) == 0 {
			return nil, errors.New(msg)
		}
		fmt.Fprintln(stderr, "millrace: skipped", msg)
	}
	if len(s.topics) == 0 {
		s.Close()
		if f.Topic != "" || f.Handler != "" {
			return nil, fmt.Errorf("no poison topic of %s matches --topic %q --handler %q", topo.File, f.Topic, f.Handler)
		}
		return nil, fmt.Errorf("topology %s has no poison topic", topo.File)
	}
	return s, nil
}

// list returns the entries f selects, in topic order and store order within a topic.
func (s *poisonSession) list(ctx context.Context, f poison.Filter) ([]poison.Entry, error) {
	var out []poison.Entry
	for _, t := range s.topics {
		entries, err := s.stores[t.Transport].List(ctx, t.Name)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if f.Match(e) {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// store returns the store holding e.
func (s *poisonSession) store(e poison.Entry) poison.Store {
	for _, t := range s.topics {
		if t.Name == e.PoisonTopic {
			return s.stores[t.Transport]
		}
	}
	return nil
}

func (s *poisonSession) Close() {
	for name, st := range s.stores {
		if err := st.Close(); err != nil {
			fmt.Fprintf(s.stderr, "millrace: close poison store %s: %v\n", name, err)
		}
	}
}

// loadPoison loads the topology of the flags and opens the session for filter.
func loadPoison(cmd *cobra.Command, flags *poisonFlags, ids []string) (*poisonSession, poison.Filter, error) {
	f, err := flags.filter(ids)
	if err != nil {
		return nil, f, err // usage
	}
	topo, err := flags.load(cmd)
	if err != nil {
		return nil, f, err
	}
	s, err := openPoison(topo, f, cmd.ErrOrStderr())
	if err != nil {
		return nil, f, Fail(err)
	}
	return s, f, nil
}

// purge deletes what f selects: whole poison topics when f is empty, else the listed
// entries.
func purge(ctx context.Context, s *poisonSession, f poison.Filter) (int, error) {
	n := 0
	if f.Empty() {
		for _, t := range s.topics {
			k, err := s.stores[t.Transport].Purge(ctx, t.Name)
			n += k
			if err != nil {
				return n, err
			}
		}
		return n, nil
	}
	entries, err := s.list(ctx, f)
	if err != nil {
		return 0, err
	}
	byTopic := map[string][]string{}
	for _, e := range entries {
		byTopic[e.PoisonTopic] = append(byTopic[e.PoisonTopic], e.Ref)
	}
	for _, t := range s.topics {
		refs := byTopic[t.Name]
		if len(refs) == 0 {
			continue
		}
		if err := s.stores[t.Transport].Remove(ctx, t.Name, refs...); err != nil {
			return n, err
		}
		n += len(refs)
	}
	return n, nil
}
