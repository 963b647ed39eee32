package barrage

import (
	"slices"
	"strings"
)

// Tags are name and value pairs attached to samples: to a request's with
// [WithTag], to a check's with [Check], to a metric's with Add. The host
// adds its own (the group, the scenario, the request's name and status).
type Tags map[string]string

// pairs lists the tags in name order, so that what the host receives does
// not depend on map iteration.
func (t Tags) pairs() []pair {
	if len(t) == 0 {
		return nil
	}
	out := make([]pair, 0, len(t))
	for name, value := range t {
		out = append(out, pair{name, value})
	}
	slices.SortFunc(out, func(a, b pair) int { return strings.Compare(a.name, b.name) })
	return out
}

// mergeTags flattens several tag sets into one list; a later set's value
// replaces an earlier one's for the same name.
func mergeTags(sets []Tags) []pair {
	switch len(sets) {
	case 0:
		return nil
	case 1:
		return sets[0].pairs()
	}
	merged := Tags{}
	for _, set := range sets {
		for name, value := range set {
			merged[name] = value
		}
	}
	return merged.pairs()
}
