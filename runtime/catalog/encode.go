package catalog

import (
	"fmt"
	"strings"

	"github.com/hasgen/hasgen/runtime/wire"
)

// Encode turns a request value (a decoded JSON value: nil, bool,
// json.Number, string, []any, *wire.Object) into the argument a parameter
// of encoding enc binds. Every value goes as text (or text[]) and is cast
// in SQL to its column type, as Hasura does.
func Encode(v any, enc Encoding) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch enc {
	case EncodeJSON:
		b, err := wire.Marshal(v)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	case EncodeTextList:
		return eachText(v, func(x any) (string, error) {
			t, err := wire.Text(x)
			s, _ := t.(string)
			return s, err
		})
	case EncodeJSONList:
		return eachText(v, func(x any) (string, error) {
			b, err := wire.Marshal(x)
			return string(b), err
		})
	case EncodeArray:
		return arrayLiteral(v)
	case EncodeJSONPath:
		s, _ := v.(string)
		path, err := wire.ParsePath(s)
		if err != nil {
			return nil, err
		}
		return path.Keys(), nil
	}
	return wire.Text(v)
}

// eachText encodes the items of a list (a single value: a list of one) as
// a text[] argument.
func eachText(v any, text func(any) (string, error)) ([]string, error) {
	l := asList(v)
	out := make([]string, len(l))
	for i, x := range l {
		var err error
		if out[i], err = text(x); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// asList returns a list's items; a single value is a list of one (GraphQL
// input coercion).
func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// arrayLiteral writes a JSON list as a Postgres array literal, nested
// lists as the dimensions of a multi-dimensional array: [[1,2],[3,4]] →
// {{"1","2"},{"3","4"}}. Every element is quoted, so any text is data; a
// value that is not a list is a list of one.
func arrayLiteral(v any) (string, error) {
	var b strings.Builder
	var write func(v any) error
	write = func(v any) error {
		l, ok := v.([]any)
		if !ok {
			return fmt.Errorf("expected a list, found %s", wire.Kind(v))
		}
		b.WriteByte('{')
		for i, x := range l {
			if i > 0 {
				b.WriteByte(',')
			}
			switch x := x.(type) {
			case nil:
				b.WriteString("NULL")
			case []any:
				if err := write(x); err != nil {
					return err
				}
			default:
				t, err := wire.Text(x)
				if err != nil {
					return err
				}
				s, _ := t.(string)
				b.WriteByte('"')
				b.WriteString(arrayEscaper.Replace(s))
				b.WriteByte('"')
			}
		}
		b.WriteByte('}')
		return nil
	}
	err := write(asList(v))
	return b.String(), err
}

var arrayEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)
