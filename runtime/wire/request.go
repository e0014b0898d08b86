package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Request is one GraphQL request.
type Request struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName,omitempty"`
	Variables     json.RawMessage `json:"variables,omitempty"`
	// Persisted is the hex SHA-256 of extensions.persistedQuery (Apollo's
	// automatic persisted queries, version 1), when the request has one;
	// NoQuery says the request has no "query" key (only the hash). The
	// engine answers them when persisted queries are on, and refuses the
	// bare hash as Hasura does otherwise (engine/persisted.go).
	Persisted string `json:"-"`
	NoQuery   bool   `json:"-"`
}

// PersistedHash reads the hash of extensions.persistedQuery (version 1)
// from a request's extensions; "" without one.
func PersistedHash(ext []byte) string {
	var e struct {
		PersistedQuery *struct {
			Version    json.RawMessage `json:"version"`
			SHA256Hash string          `json:"sha256Hash"`
		} `json:"persistedQuery"`
	}
	if json.Unmarshal(ext, &e) != nil || e.PersistedQuery == nil || string(e.PersistedQuery.Version) != "1" {
		return ""
	}
	return e.PersistedQuery.SHA256Hash
}

// DecodeRequest reads a request body {"query", "operationName",
// "variables", ...}. Keys match exactly (encoding/json would match them
// in any case); other keys are ignored; a repeated key's last value wins.
// Without a "query" key it is Hasura's parse-failed error.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	if parseRequest(b, &r) {
		return r, nil
	}
	return decodeRequestJSON(b)
}

// decodeRequestJSON is DecodeRequest by encoding/json: a function of its
// own, so that the fast path's Request stays on the stack.
func decodeRequestJSON(b []byte) (Request, error) {
	var r Request
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return Request{}, InvalidJSON(err)
	}
	if v, ok := m["extensions"]; ok {
		r.Persisted = PersistedHash(v)
	}
	if _, ok := m["query"]; !ok {
		if r.Persisted == "" {
			return Request{}, ErrNoQuery()
		}
		r.NoQuery = true
	}
	for key, dst := range map[string]*string{"query": &r.Query, "operationName": &r.OperationName} {
		if v, ok := m[key]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				return Request{}, InvalidJSON(fmt.Errorf("%s: %w", key, err))
			}
		}
	}
	if v, ok := m["variables"]; ok {
		r.Variables = v
	}
	return r, nil
}

// DecodeBatch reads a batch body, a JSON array of requests.
func DecodeBatch(b []byte) ([]Request, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return nil, InvalidJSON(err)
	}
	reqs := make([]Request, len(raws))
	for i, raw := range raws {
		var err error
		if reqs[i], err = DecodeRequest(raw); err != nil {
			return nil, err
		}
	}
	return reqs, nil
}

// ErrNoQuery is Hasura's error for a request without a "query" key.
func ErrNoQuery() *Error {
	return &Error{Code: CodeParseFailed, Path: "$", Message: `key "query" not found`}
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
		return false // no query: DecodeRequest says so
	}
	seenQuery := false
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
		// Keys match exactly, as in Hasura: {"QUERY": ...} has no query.
		switch key {
		case "query", "operationName":
			if v[0] != '"' && string(v) != "null" {
				return false
			}
			// null is no value; of a repeated key, the last counts.
			if key == "query" {
				r.Query, seenQuery = str, true
			} else {
				r.OperationName = str
			}
		case "variables":
			r.Variables = json.RawMessage(v)
		case "extensions":
			return false // rare: DecodeRequest reads it
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return seenQuery && skipSpace(b, i+1) == len(b)
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

// The one JSON codec of the runtime for request values: variables are
// parsed into ordered values (Hasura expands order_by objects in key
// order, also from variables) and written back keeping that order.
// Response JSON is never decoded: Postgres writes it.

// Object is a JSON object that keeps its keys in order.
type Object struct {
	Keys []string
	Vals []any
}

// Get returns the value of key k.
func (o *Object) Get(k string) (any, bool) {
	for i, kk := range o.Keys {
		if kk == k {
			return o.Vals[i], true
		}
	}
	return nil, false
}

// Variables are a request's decoded variables: values are nil, bool,
// json.Number, string, []any and *Object. Raw holds each variable's JSON
// as sent, so that a whole variable bound as a JSON parameter is passed on
// as the client wrote it.
type Variables struct {
	Values map[string]any
	Raw    map[string][]byte
}

// ParseVariables parses a request's variables object; empty, null and {}
// give no variables.
func ParseVariables(b []byte) (Variables, error) {
	if len(b) == 0 || string(b) == "null" || string(b) == "{}" {
		return Variables{}, nil
	}
	if err := validJSON(b); err != nil {
		return Variables{}, err
	}
	p := parser{b: b}
	p.ws()
	if p.b[p.i] != '{' {
		return Variables{}, errors.New("variables must be an object")
	}
	vars := Variables{Values: map[string]any{}, Raw: map[string][]byte{}}
	p.i++
	for {
		p.ws()
		if p.b[p.i] == '}' {
			return vars, nil
		}
		key := p.str()
		p.ws()
		p.i++ // ':'
		p.ws()
		start := p.i
		vars.Values[key] = p.value()
		vars.Raw[key] = p.b[start:p.i]
		p.ws()
		if p.b[p.i] == ',' {
			p.i++
		}
	}
}

// validJSON returns encoding/json's error for b, or nil.
func validJSON(b []byte) error {
	if json.Valid(b) {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return errors.New("invalid JSON")
}

// parser reads JSON that json.Valid accepted, several times faster than
// encoding/json's token stream.
type parser struct {
	b []byte
	i int
}

func (p *parser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) str() string {
	end := stringEnd(p.b, p.i)
	s, _ := unquote(p.b[p.i:end])
	if s == "" && end-p.i > 2 {
		// unquote rejects invalid UTF-8, which json.Valid accepts:
		// encoding/json replaces it, as does this.
		var v string
		json.Unmarshal(p.b[p.i:end], &v)
		s = v
	}
	p.i = end
	return s
}

func (p *parser) value() any {
	p.ws()
	switch c := p.b[p.i]; c {
	case '{':
		p.i++
		o := &Object{}
		for {
			p.ws()
			if p.b[p.i] == '}' {
				p.i++
				return o
			}
			k := p.str()
			p.ws()
			p.i++ // ':'
			v := p.value()
			o.Keys = append(o.Keys, k)
			o.Vals = append(o.Vals, v)
			p.ws()
			if p.b[p.i] == ',' {
				p.i++
			}
		}
	case '[':
		p.i++
		l := []any{}
		for {
			p.ws()
			if p.b[p.i] == ']' {
				p.i++
				return l
			}
			l = append(l, p.value())
			p.ws()
			if p.b[p.i] == ',' {
				p.i++
			}
		}
	case '"':
		return p.str()
	case 't':
		p.i += 4
		return true
	case 'f':
		p.i += 5
		return false
	case 'n':
		p.i += 4
		return nil
	default:
		start := p.i
		for p.i < len(p.b) {
			c := p.b[p.i]
			if c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || c >= '0' && c <= '9' {
				p.i++
				continue
			}
			break
		}
		return json.Number(p.b[start:p.i])
	}
}

// Marshal writes a decoded value back to JSON, keeping key order.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	err := writeValue(&b, v)
	return b.Bytes(), err
}

func writeValue(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case *Object:
		b.WriteByte('{')
		for i, k := range x.Keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			if err := writeValue(b, x.Vals[i]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		j, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(j)
	}
	return nil
}

// Text returns the text Postgres receives for a JSON scalar, and the JSON
// of a list or object.
func Text(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return x, nil
	case json.Number:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	}
	b, err := Marshal(v)
	return string(b), err
}

// Plain turns an ordered value into the map form gqlgen expects.
func Plain(v any) any {
	switch x := v.(type) {
	case *Object:
		m := make(map[string]any, len(x.Keys))
		for i, k := range x.Keys {
			m[k] = Plain(x.Vals[i])
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Plain(e)
		}
		return out
	}
	return v
}

// Kind names the kind of a decoded JSON value, as error messages do.
func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	}
	return "an object"
}
