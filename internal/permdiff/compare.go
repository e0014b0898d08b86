package permdiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"sort"
	"strings"
)

// Num is a JSON number in a normalized answer, written as an exact
// fraction ("199/100"), so that 1.990 and 1.99 are equal and no float
// rounding hides a difference.
type Num string

// Normalize decodes a data object and rewrites it for comparison along
// the query: numbers become Num, and the rows of a list without order_by
// are sorted (their order is the database's choice, on both sides).
func Normalize(data []byte, q *Query) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("permdiff: decode answer: %w", err)
	}
	v = numbers(v)
	m, ok := v.(map[string]any)
	if !ok {
		return v, nil
	}
	for _, f := range q.Fields {
		if x, ok := m[f.Key()]; ok {
			m[f.Key()] = normField(x, f)
		}
	}
	return m, nil
}

// numbers replaces every json.Number in v by a Num.
func numbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		r, ok := new(big.Rat).SetString(string(v))
		if !ok {
			return Num(v)
		}
		return Num(r.RatString())
	case map[string]any:
		for k, x := range v {
			v[k] = numbers(x)
		}
	case []any:
		for i, x := range v {
			v[i] = numbers(x)
		}
	}
	return v
}

func normField(v any, f *Field) any {
	switch f.Kind {
	case KindObject, KindByPk:
		return normRow(v, f.Sel)
	case KindList:
		return normRows(v, f.Sel, f.Ordered())
	case KindAggregate:
		m, ok := v.(map[string]any)
		if ok && f.Agg.Nodes != nil {
			if nodes, ok := m["nodes"]; ok {
				m["nodes"] = normRows(nodes, f.Agg.Nodes, f.Ordered())
			}
		}
	}
	return v
}

func normRow(v any, s *Selection) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for _, f := range s.Fields {
		if x, ok := m[f.Key()]; ok {
			m[f.Key()] = normField(x, f)
		}
	}
	return m
}

func normRows(v any, s *Selection, ordered bool) any {
	l, ok := v.([]any)
	if !ok {
		return v
	}
	for i, x := range l {
		l[i] = normRow(x, s)
	}
	if !ordered {
		keys := make([]string, len(l))
		for i, x := range l {
			keys[i] = canon(x)
		}
		idx := make([]int, len(l))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
		sorted := make([]any, len(l))
		for i, j := range idx {
			sorted[i] = l[j]
		}
		return sorted
	}
	return l
}

// canon writes a normalized value deterministically: object keys sorted,
// numbers and strings told apart.
func canon(v any) string {
	var b strings.Builder
	writeCanon(&b, v)
	return b.String()
}

func writeCanon(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case Num:
		b.WriteString("#" + string(v))
	case string:
		q, _ := json.Marshal(v)
		b.Write(q)
	case bool:
		fmt.Fprint(b, v)
	case []any:
		b.WriteString("[")
		for i, x := range v {
			if i > 0 {
				b.WriteString(",")
			}
			writeCanon(b, x)
		}
		b.WriteString("]")
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			q, _ := json.Marshal(k)
			b.Write(q)
			b.WriteString(":")
			writeCanon(b, v[k])
		}
		b.WriteString("}")
	default:
		fmt.Fprintf(b, "?%T", v)
	}
}

// Equal compares two normalized answers.
func Equal(a, b any) bool { return canon(a) == canon(b) }

// maxDiffLines bounds the lines Diff returns.
const maxDiffLines = 30

// Diff describes where two normalized answers differ, one line per
// difference, each with its path: values that differ, keys on one side
// only, and for lists of different lengths the rows only one side has.
// It is linear in the size of the answers (cmp.Diff's edit scripts are
// not, on lists of thousands of rows).
func Diff(ref, srv any) string {
	var lines []string
	diffAt("$", ref, srv, &lines)
	if len(lines) > maxDiffLines {
		lines = append(lines[:maxDiffLines], fmt.Sprintf("... and %d more", len(lines)-maxDiffLines))
	}
	return strings.Join(lines, "\n")
}

func show(v any) string {
	s := canon(v)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func diffAt(path string, ref, srv any, out *[]string) {
	if len(*out) > maxDiffLines {
		return
	}
	if canon(ref) == canon(srv) {
		return
	}
	switch r := ref.(type) {
	case map[string]any:
		s, ok := srv.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range r {
			keys[k] = true
		}
		for k := range s {
			keys[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			rv, rok := r[k]
			sv, sok := s[k]
			switch {
			case !sok:
				*out = append(*out, fmt.Sprintf("%s.%s: only the reference has it: %s", path, k, show(rv)))
			case !rok:
				*out = append(*out, fmt.Sprintf("%s.%s: only the server has it: %s", path, k, show(sv)))
			default:
				diffAt(path+"."+k, rv, sv, out)
			}
		}
		return
	case []any:
		s, ok := srv.([]any)
		if !ok {
			break
		}
		if len(r) == len(s) {
			// Pair the rows only one side has, in order: in an ordered list
			// they sit at the same place, in a sorted one (no order_by)
			// next to where the other side's would sort; recursing into a
			// pair finds the value that differs.
			refOnly, srvOnly := unmatched(r, s)
			if len(refOnly) == 0 {
				for i := range r {
					if canon(r[i]) != canon(s[i]) {
						*out = append(*out, fmt.Sprintf("%s[%d]: same rows, another order: reference %s, server %s", path, i, show(r[i]), show(s[i])))
						return
					}
				}
			}
			for j, i := range refOnly {
				diffAt(fmt.Sprintf("%s[%d]", path, i), r[i], s[srvOnly[j]], out)
			}
			return
		}
		// Different lengths: the rows one side has and the other has not
		// (as many times), which is what a leak or a hidden row looks
		// like.
		*out = append(*out, fmt.Sprintf("%s: %d rows in the reference, %d from the server", path, len(r), len(s)))
		refOnly, srvOnly := unmatched(r, s)
		for _, i := range refOnly {
			*out = append(*out, fmt.Sprintf("%s[%d]: - only in the reference: %s", path, i, show(r[i])))
		}
		for _, i := range srvOnly {
			*out = append(*out, fmt.Sprintf("%s[%d]: + only from the server: %s", path, i, show(s[i])))
		}
		return
	}
	*out = append(*out, fmt.Sprintf("%s: reference %s, server %s", path, show(ref), show(srv)))
}

// unmatched returns the indexes of the rows of r that s does not have (as
// many times), and of those of s that r does not have.
func unmatched(r, s []any) (refOnly, srvOnly []int) {
	rk, sk := make([]string, len(r)), make([]string, len(s))
	count := map[string]int{}
	for i, x := range s {
		sk[i] = canon(x)
		count[sk[i]]++
	}
	for i, x := range r {
		rk[i] = canon(x)
		if count[rk[i]] > 0 {
			count[rk[i]]--
		} else {
			refOnly = append(refOnly, i)
		}
	}
	for i := range s {
		if count[sk[i]] > 0 {
			count[sk[i]]--
			srvOnly = append(srvOnly, i)
		}
	}
	return refOnly, srvOnly
}
