package permdiff

import (
	"bytes"
	"encoding/json"
	"fmt"
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
