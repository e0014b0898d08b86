package kriti

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
)

// builtins are Kriti's basic functions (kriti-lang's basicFuncMap), with
// the behaviour and errors of its Haskell definitions.
var builtins = map[string]Func{
	"empty":       emptyF,
	"size":        sizeF,
	"inverse":     inverseF,
	"head":        headF,
	"tail":        tailF,
	"toCaseFold":  stringF(func(s string) string { return cases.Fold().String(s) }),
	"toLower":     stringF(strings.ToLower),
	"toUpper":     stringF(strings.ToUpper),
	"toTitle":     stringF(toTitle),
	"escapeUri":   stringF(EscapeURIComponent),
	"fromPairs":   fromPairsF,
	"toPairs":     toPairsF,
	"removeNulls": removeNullsF,
	"concat":      concatF,
	"not":         notF,
}

// SessionFunctions returns Hasura's functions over a request's session
// variables: getSessionVariable(name), whose name is case-insensitive.
func SessionFunctions(vars map[string]string) map[string]Func {
	return map[string]Func{
		"getSessionVariable": func(arg any) (any, error) {
			name, ok := arg.(string)
			if !ok {
				return nil, errors.New("the session variable's name must be a String")
			}
			for k, v := range vars {
				if strings.EqualFold(k, name) {
					return v, nil
				}
			}
			return nil, fmt.Errorf("session variable %q not found", name)
		},
	}
}

func num(i int) json.Number { return json.Number(strconv.Itoa(i)) }

// mismatch is Aeson's message for a value of the wrong type.
func mismatch(want string, v any) error {
	return fmt.Errorf("parsing %s failed, expected %s, but encountered %s", want, want, typeName(v))
}

func emptyF(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0, nil
	case []any:
		return len(x) == 0, nil
	case string:
		return strings.TrimSpace(x) == "", nil
	case bool:
		return nil, errors.New("cannot define emptiness for a boolean")
	case nil:
		return true, nil
	}
	f := bigNum(v)
	return f.Sign() == 0, nil
}

func sizeF(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		return num(len(x)), nil
	case []any:
		return num(len(x)), nil
	case string:
		return num(utf8.RuneCountInString(x)), nil
	case bool:
		if x {
			return num(1), nil
		}
		return num(0), nil
	case nil:
		return num(0), nil
	}
	return v, nil
}

func inverseF(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any, nil:
		return x, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[len(x)-1-i] = e
		}
		return out, nil
	case string:
		r := []rune(x)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r), nil
	case bool:
		return !x, nil
	}
	f := bigNum(v)
	if f.Sign() == 0 {
		return nil, errors.New("division by zero")
	}
	q := new(big.Float).SetPrec(64).Quo(big.NewFloat(1).SetPrec(64), f)
	out, _ := q.Float64()
	return json.Number(strconv.FormatFloat(out, 'g', -1, 64)), nil
}

func headF(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return nil, errors.New("empty array")
		}
		return x[0], nil
	case string:
		if x == "" {
			return nil, errors.New("empty string")
		}
		r, _ := utf8.DecodeRuneInString(x)
		return string(r), nil
	}
	return nil, fmt.Errorf("expected an Array or String, found %s", typeName(v))
}

func tailF(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return []any{}, nil
		}
		return append([]any{}, x[1:]...), nil
	case string:
		if x == "" {
			return "", nil
		}
		_, n := utf8.DecodeRuneInString(x)
		return x[n:], nil
	}
	return nil, fmt.Errorf("expected an Array or String, found %s", typeName(v))
}

// stringF lifts a string function; other types are an error.
func stringF(f func(string) string) Func {
	return func(v any) (any, error) {
		s, ok := v.(string)
		if !ok {
			return nil, mismatch("String", v)
		}
		return f(s), nil
	}
}

// toTitle is Data.Text's toTitle: a letter after a non-letter is put in
// title case, a letter after a letter in lower case.
func toTitle(s string) string {
	var b strings.Builder
	prevLetter := false
	for _, r := range s {
		letter := unicode.IsLetter(r)
		switch {
		case letter && !prevLetter:
			b.WriteRune(unicode.ToTitle(r))
		case letter:
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
		prevLetter = letter
	}
	return b.String()
}

// EscapeURIComponent percent-encodes every byte of s's UTF-8 but the
// unreserved characters (A-Z a-z 0-9 - . _ ~), as Kriti's escapeUri and
// Hasura's form encoding do.
func EscapeURIComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func fromPairsF(v any) (any, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, mismatch("Nested Arrays", v)
	}
	const shape = "expected an array of shape [ [k1,v1], [k2,v2] ... ] with String keys"
	out := make(map[string]any, len(arr))
	for _, e := range arr {
		pair, ok := e.([]any)
		if !ok || len(pair) != 2 {
			return nil, errors.New(shape)
		}
		k, ok := pair[0].(string)
		if !ok {
			return nil, errors.New(shape)
		}
		out[k] = pair[1]
	}
	return out, nil
}

func toPairsF(v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, mismatch("Object", v)
	}
	out := make([]any, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, []any{k, m[k]})
	}
	return out, nil
}

func removeNullsF(v any) (any, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, mismatch("Array", v)
	}
	out := make([]any, 0, len(arr))
	for _, e := range arr {
		if e != nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// concatF joins an array of arrays, of strings or of objects (the
// right-most object's key wins).
func concatF(v any) (any, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, mismatch("Array", v)
	}
	if len(arr) == 0 {
		return []any{}, nil
	}
	switch arr[0].(type) {
	case []any:
		var out []any
		for _, e := range arr {
			a, ok := e.([]any)
			if !ok {
				return nil, fmt.Errorf("cannot concat an Array with a %s", typeName(e))
			}
			out = append(out, a...)
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	case string:
		var b strings.Builder
		for _, e := range arr {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("cannot concat a String with a %s", typeName(e))
			}
			b.WriteString(s)
		}
		return b.String(), nil
	case map[string]any:
		out := map[string]any{}
		for _, e := range arr {
			o, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("cannot concat an Object with a %s", typeName(e))
			}
			for k, x := range o {
				out[k] = x
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("expected an Array of Arrays, Strings or Objects, found an Array of %s", typeName(arr[0]))
}

func notF(v any) (any, error) {
	b, ok := v.(bool)
	if !ok {
		return nil, mismatch("Bool", v)
	}
	return !b, nil
}
