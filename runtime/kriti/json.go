package kriti

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// errTooLarge stops an encoding past MaxOutput.
var errTooLarge = fmt.Errorf("the value's JSON exceeds %d bytes", MaxOutput)

// appendJSON appends v's JSON encoding: object keys sorted, strings
// escaped as JSON requires and no more (no HTML escaping, as Aeson).
func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendString(b, x), nil
	case json.Number:
		return appendNumber(b, string(x))
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("number %v has no JSON form", x)
		}
		return appendNumber(b, strconv.FormatFloat(x, 'g', -1, 64))
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
			if len(b) > MaxOutput {
				return nil, errTooLarge
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, x[k]); err != nil {
				return nil, err
			}
			if len(b) > MaxOutput {
				return nil, errTooLarge
			}
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("%T is not a JSON value", v)
}

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// appendNumber appends the JSON number s as Aeson (and so Hasura)
// writes it: a number whose decimal exponent is 0 to 1024 as an integer
// (1e3 is 1000, 1.5e3 is 1500), others with Haskell's Generic format:
// fixed from 0.1 up to 10^7 with trailing zeros dropped (2.50 is 2.5,
// 1.0 stays 1.0), else an exponent (0.05 is 5.0e-2).
func appendNumber(b []byte, s string) ([]byte, error) {
	bad := func() ([]byte, error) { return nil, fmt.Errorf("invalid number %q", s) }
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := s[intStart:i]
	if intDigits == "" || (len(intDigits) > 1 && intDigits[0] == '0') {
		return bad()
	}
	frac := ""
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return bad()
		}
		frac = s[j:i]
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		j := i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		k := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == k {
			return bad()
		}
		e, err := strconv.Atoi(s[j:i])
		if err != nil || e > 1<<20 || e < -(1<<20) {
			return bad()
		}
		exp = e
	}
	if i != len(s) {
		return bad()
	}
	// The value is coeff × 10^e, as Aeson parses it.
	coeff := strings.TrimLeft(intDigits+frac, "0")
	e := exp - len(frac)
	if coeff == "" {
		if e >= 0 {
			return append(b, '0'), nil
		}
		return append(b, "0.0"...), nil
	}
	if neg {
		b = append(b, '-')
	}
	if e >= 0 && e <= 1024 {
		b = append(b, coeff...)
		for ; e > 0; e-- {
			b = append(b, '0')
		}
		return b, nil
	}
	// Generic: digits ds and exponent de with value 0.ds × 10^de.
	ds := strings.TrimRight(coeff, "0")
	de := e + len(coeff)
	if de < 0 || de > 7 {
		b = append(b, ds[0], '.')
		if len(ds) == 1 {
			b = append(b, '0')
		} else {
			b = append(b, ds[1:]...)
		}
		b = append(b, 'e')
		return strconv.AppendInt(b, int64(de-1), 10), nil
	}
	if de == 0 {
		b = append(b, "0."...)
		return append(b, ds...), nil
	}
	if len(ds) <= de {
		b = append(b, ds...)
		for k := len(ds); k < de; k++ {
			b = append(b, '0')
		}
		return append(b, ".0"...), nil
	}
	b = append(b, ds[:de]...)
	b = append(b, '.')
	return append(b, ds[de:]...), nil
}
