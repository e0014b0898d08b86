package wire

import (
	"encoding/json"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Request is one GraphQL request.
type Request struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName,omitempty"`
	Variables     json.RawMessage `json:"variables,omitempty"`
}

// DecodeRequest reads a request body {"query", "operationName",
// "variables", ...}, as encoding/json would, faster.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	if parseRequest(b, &r) {
		return r, nil
	}
	r = Request{}
	if err := json.Unmarshal(b, &r); err != nil {
		return Request{}, InvalidJSON(err)
	}
	return r, nil
}

// InvalidJSON is the error of a request body that is not JSON.
func InvalidJSON(err error) *Error {
	return &Error{Code: CodeInvalidJSON, Path: "$", Message: "invalid JSON in the request body: " + err.Error(), Err: err}
}

// parseRequest reads a request body {"query", "operationName",
// "variables", ...} without reflection: on the hot path of small requests
// encoding/json costs more than everything else hasgen does besides the
// database. Variables are kept as raw JSON. It reports false for anything
// it does not recognise as a well-formed request object, and the caller
// then uses encoding/json, which also gives the error message.
func parseRequest(b []byte, r *Request) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		end := stringEnd(b, i)
		if end < 0 {
			return false
		}
		key, ok := unquote(b[i:end])
		if !ok {
			return false
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		vend := valueEnd(b, i)
		if vend < 0 {
			return false
		}
		v := b[i:vend]
		if v[0] != '"' && !json.Valid(v) {
			return false
		}
		var str string
		if v[0] == '"' {
			if str, ok = unquote(v); !ok {
				return false
			}
		}
		// encoding/json matches field names without regard to case, with
		// Unicode folding; only ASCII names are taken here.
		for k := 0; k < len(key); k++ {
			if key[k] >= utf8.RuneSelf {
				return false
			}
		}
		switch strings.ToLower(key) {
		case "operationname":
			key = "operationName"
		default:
			key = strings.ToLower(key)
		}
		switch key {
		case "query", "operationName":
			if v[0] != '"' {
				if string(v) != "null" {
					return false
				}
				break // null leaves the field as it was, as in encoding/json
			}
			if key == "query" {
				r.Query = str
			} else {
				r.OperationName = str
			}
		case "variables":
			r.Variables = json.RawMessage(v)
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return skipSpace(b, i+1) == len(b)
		}
		if b[i] != ',' {
			return false
		}
		i = skipSpace(b, i+1)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the closing quote of the string that
// starts at b[i], or -1.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		default:
			if b[j] < 0x20 {
				return -1
			}
		}
	}
	return -1
}

// valueEnd returns the index after the JSON value that starts at b[i], or
// -1. Nested values are only checked for balanced brackets and strings;
// variables are validated when decoded.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		return stringEnd(b, i)
	case c == '{' || c == '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := stringEnd(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}

// unquote decodes a JSON string literal (quotes included).
func unquote(q []byte) (string, bool) {
	q = q[1 : len(q)-1]
	k := 0
	for k < len(q) && q[k] != '\\' {
		k++
	}
	if k == len(q) {
		if !utf8.Valid(q) {
			return "", false
		}
		return string(q), true
	}
	out := make([]byte, k, len(q))
	copy(out, q[:k])
	for i := k; i < len(q); i++ {
		c := q[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(q) {
			return "", false
		}
		switch q[i] {
		case '"', '\\', '/':
			out = append(out, q[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(q, i+1)
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 < len(q) && q[i+1] == '\\' && q[i+2] == 'u' {
					if r2, ok := hex4(q, i+3); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							i += 6
							r = d
						}
					}
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	if !utf8.Valid(out) {
		return "", false
	}
	return string(out), true
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}
