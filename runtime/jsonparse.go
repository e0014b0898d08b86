package runtime

import (
	"encoding/json"
	"errors"
)

// parseOrdered parses JSON into the values decodeOrdered gives (nil, bool,
// json.Number, string, []any, *object), several times faster than
// encoding/json's token stream: a bulk insert's rows come through here.
// Input that json.Valid rejects goes to decodeOrdered for its error.
func parseOrdered(b []byte) (any, error) {
	if !json.Valid(b) {
		_, err := decodeOrdered(b)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return nil, err
	}
	p := jsonParser{b: b}
	return p.value(), nil
}

// parseVariables parses a request's variables object, and keeps each
// variable's raw JSON: a whole variable bound as a JSON parameter is
// passed on as sent, not re-encoded.
func parseVariables(b []byte) (map[string]any, map[string][]byte, error) {
	if !json.Valid(b) {
		_, err := decodeOrdered(b)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return nil, nil, err
	}
	p := jsonParser{b: b}
	p.ws()
	if p.b[p.i] != '{' {
		return nil, nil, errors.New("variables must be an object")
	}
	vars, raw := map[string]any{}, map[string][]byte{}
	p.i++
	for {
		p.ws()
		if p.b[p.i] == '}' {
			return vars, raw, nil
		}
		key := p.str()
		p.ws()
		p.i++ // ':'
		p.ws()
		start := p.i
		vars[key] = p.value()
		raw[key] = p.b[start:p.i]
		p.ws()
		if p.b[p.i] == ',' {
			p.i++
		}
	}
}

// jsonParser reads valid JSON.
type jsonParser struct {
	b []byte
	i int
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *jsonParser) str() string {
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

func (p *jsonParser) value() any {
	p.ws()
	switch c := p.b[p.i]; c {
	case '{':
		p.i++
		o := &object{}
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
			o.keys = append(o.keys, k)
			o.vals = append(o.vals, v)
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
