package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// normaliser maps a contender's response data onto hasgen's shape.
type normaliser func(data any) any

// identity is hasgen's and raw pgx's normaliser.
func identity(data any) any { return data }

// reshape maps a peer's response onto hasgen's: fields renamed at any
// depth, connections ({"nodes": [...]}, PostGraphile's) unwrapped, and the
// strings under the keys in numeric read as numbers (PostGraphile gives
// PostgreSQL's numeric as a BigFloat string, "1.98").
func reshape(rename map[string]string, numeric ...string) normaliser {
	isNumeric := map[string]bool{}
	for _, k := range numeric {
		isNumeric[k] = true
	}
	var walk func(key string, v any) any
	walk = func(key string, v any) any {
		switch v := v.(type) {
		case map[string]any:
			if nodes, ok := v["nodes"]; ok && len(v) == 1 {
				return walk(key, nodes)
			}
			out := make(map[string]any, len(v))
			for k, x := range v {
				if r, ok := rename[k]; ok {
					k = r
				}
				out[k] = walk(k, x)
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = walk(key, x)
			}
			return out
		case string:
			if isNumeric[key] {
				return json.Number(v)
			}
		}
		return v
	}
	return func(data any) any { return walk("", data) }
}

// responseData decodes a GraphQL response's data, numbers kept as written;
// a response with errors, or without data, is an error.
func responseData(b []byte) (any, error) {
	var r struct {
		Data   any `json:"data"`
		Errors any `json:"errors"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&r); err != nil {
		return nil, err
	}
	if r.Errors != nil || r.Data == nil {
		return nil, fmt.Errorf("errors in the response")
	}
	return r.Data, nil
}

// canonical puts data in a form where equal answers are equal values:
// numbers compared by value as decimal text, lists sorted (the queries
// leave most lists unordered and each server picks its own order).
func canonical(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = canonical(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		keys := make([]string, len(v))
		for i, x := range v {
			out[i] = canonical(x)
		}
		idx := make([]int, len(v))
		for i := range idx {
			idx[i] = i
			b, _ := json.Marshal(out[i])
			keys[i] = string(b)
		}
		sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
		sorted := make([]any, len(v))
		for i, j := range idx {
			sorted[i] = out[j]
		}
		return sorted
	case json.Number:
		return json.Number(canonicalNumber(string(v)))
	}
	return v
}

// canonicalNumber drops trailing fractional zeros: 1.90 and 1.9 are equal.
func canonicalNumber(s string) string {
	if strings.ContainsAny(s, "eE") || !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// firstDifference describes where a and b (canonical values) first differ,
// as a path and the two values, for a readable abort.
func firstDifference(a, b any, path string) string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return mismatch(path, a, b)
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			x, okA := av[k]
			y, okB := bv[k]
			switch {
			case !okA:
				return fmt.Sprintf("%s.%s: missing, want %s", path, k, short(y))
			case !okB:
				return fmt.Sprintf("%s.%s: unexpected %s", path, k, short(x))
			}
			if d := firstDifference(x, y, path+"."+k); d != "" {
				return d
			}
		}
		return ""
	case []any:
		bv, ok := b.([]any)
		if !ok {
			return mismatch(path, a, b)
		}
		for i := 0; i < len(av) && i < len(bv); i++ {
			if d := firstDifference(av[i], bv[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		if len(av) != len(bv) {
			return fmt.Sprintf("%s: %d items, want %d", path, len(av), len(bv))
		}
		return ""
	default:
		ab, _ := json.Marshal(a)
		bb, _ := json.Marshal(b)
		if !bytes.Equal(ab, bb) {
			return mismatch(path, a, b)
		}
		return ""
	}
}

func mismatch(path string, got, want any) string {
	return fmt.Sprintf("%s: got %s, want %s", path, short(got), short(want))
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
