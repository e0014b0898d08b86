package wire

// The one JSON codec of the runtime for request values: variables are
// parsed into ordered values (Hasura expands order_by objects in key
// order, also from variables) and written back keeping that order.
// Response JSON is never decoded: Postgres writes it.

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

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
