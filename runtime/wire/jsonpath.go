package wire

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Path is a parsed JSON path in Hasura's syntax (Data.Parser.JSONPath),
// used by claims_namespace_path, claims_map and the path argument of json
// columns. Each element is a string (object key) or an int (array index).
type Path []any

// ParsePath parses an optional "$", then one or more of name, .name, [42],
// ["key"] or ['key'], each optionally after a dot; "$" alone is the root.
// A name is letters, digits, "_" and "-", not starting with a digit or "-".
func ParsePath(s string) (Path, error) {
	invalid := fmt.Errorf("%s. Accept letters, digits, underscore (_) or hyphen (-) only. Use quotes enclosed in bracket ([\"...\"]) if there is any special character", s)
	if s == "$" {
		return Path{}, nil
	}
	rest := strings.TrimPrefix(s, "$")
	var p Path
	for rest != "" {
		r := strings.TrimPrefix(rest, ".")
		switch {
		case strings.HasPrefix(r, "["):
			r = r[1:]
			switch {
			case r != "" && r[0] >= '0' && r[0] <= '9':
				i := 0
				for i < len(r) && r[i] >= '0' && r[i] <= '9' {
					i++
				}
				n, err := strconv.Atoi(r[:i])
				if err != nil {
					return nil, invalid
				}
				p, r = append(p, n), r[i:]
			case r != "" && (r[0] == '"' || r[0] == '\''):
				key, n, ok := readQuoted(r)
				if !ok {
					return nil, invalid
				}
				p, r = append(p, key), r[n:]
			default:
				return nil, invalid
			}
			if !strings.HasPrefix(r, "]") {
				return nil, invalid
			}
			rest = r[1:]
		default:
			n := 0
			for i, c := range r {
				ok := unicode.IsLetter(c) || c == '_' || (i > 0 && (c >= '0' && c <= '9' || c == '-'))
				if !ok {
					break
				}
				n = i + utf8.RuneLen(c)
			}
			if n == 0 {
				return nil, invalid
			}
			p, rest = append(p, r[:n]), r[n:]
		}
	}
	if len(p) == 0 {
		return nil, invalid
	}
	return p, nil
}

// readQuoted reads a quoted key at the start of s ('...' or "..." with
// backslash escapes) and returns it and the bytes consumed.
func readQuoted(s string) (string, int, bool) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(e)
			}
		case c == q:
			return b.String(), i + 1, true
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// String writes p as Hasura's encodeJSONPath does: $.a.b, $["a.b"], $[0].
func (p Path) String() string {
	var b strings.Builder
	b.WriteByte('$')
	for _, e := range p {
		switch e := e.(type) {
		case int:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e))
			b.WriteByte(']')
		case string:
			if plainPathKey(e) {
				b.WriteByte('.')
				b.WriteString(e)
			} else {
				q, _ := json.Marshal(e)
				b.WriteByte('[')
				b.Write(q)
				b.WriteByte(']')
			}
		}
	}
	return b.String()
}

func plainPathKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-')) {
			return false
		}
	}
	return true
}

// Keys returns the path as the text[] operand of Postgres's #> operator.
func (p Path) Keys() []string {
	out := make([]string, len(p))
	for i, e := range p {
		switch e := e.(type) {
		case int:
			out[i] = strconv.Itoa(e)
		case string:
			out[i] = e
		}
	}
	return out
}

// Get returns the value at p in v, a value decoded by encoding/json.
func (p Path) Get(v any) (any, bool) {
	for _, e := range p {
		switch e := e.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[e]; !ok {
				return nil, false
			}
		case int:
			a, ok := v.([]any)
			if !ok || e >= len(a) {
				return nil, false
			}
			v = a[e]
		}
	}
	return v, true
}
