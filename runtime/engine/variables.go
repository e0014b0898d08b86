package engine

// Request variables: their shape (what decides the SQL of an operation),
// checked against the declared types with Hasura's messages, and the way
// into a variable's value that a compiled parameter names.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// lookup follows path into a decoded variable value.
func lookup(v any, path []any) (any, bool) {
	for _, k := range path {
		switch k := k.(type) {
		case string:
			switch o := v.(type) {
			case *wire.Object:
				x, ok := o.Get(k)
				if !ok {
					return nil, false
				}
				v = x
			case map[string]any:
				x, ok := o[k]
				if !ok {
					return nil, false
				}
				v = x
			default:
				return nil, false
			}
		case int:
			l, ok := v.([]any)
			if !ok {
				if k == 0 {
					continue // a single value coerced to a list of one
				}
				return nil, false
			}
			if k >= len(l) {
				return nil, false
			}
			v = l[k]
		}
	}
	return v, true
}

// shapeOf checks the variables against their declared types and writes
// the part of them that decides the SQL of an operation: presence and
// nullness, object keys in order, list lengths of non-scalar lists, enum
// values and Booleans. Scalar values become parameters and are left out, so
// requests that differ only in them share one compiled statement.
func shapeOf(b *strings.Builder, schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any) error {
	for _, vd := range op.VariableDefinitions {
		v, ok := vars[vd.Variable]
		path := "$.variableValues." + vd.Variable
		if !ok {
			if vd.Type.NonNull && vd.DefaultValue == nil {
				return &wire.Error{Code: wire.CodeValidationFailed, Path: path,
					Message: fmt.Sprintf("expecting a value for non-nullable variable: %q", vd.Variable)}
			}
			b.WriteString("-;")
			continue
		}
		if err := shapeValue(b, schema, vd.Type, v, path); err != nil {
			return err
		}
		b.WriteByte(';')
	}
	return nil
}

func shapeValue(b *strings.Builder, schema *ast.Schema, t *ast.Type, v any, path string) error {
	if v == nil {
		if t.NonNull {
			return &wire.Error{Code: wire.CodeValidationFailed, Path: path,
				Message: fmt.Sprintf("unexpected null value for type %q", t.String())}
		}
		b.WriteByte('n')
		return nil
	}
	if t.Elem != nil {
		l, ok := v.([]any)
		if !ok {
			return shapeValue(b, schema, t.Elem, v, path)
		}
		def := schema.Types[baseName(t.Elem)]
		scalarList := t.Elem.Elem == nil && def != nil && def.Kind == ast.Scalar && def.Name != "Boolean"
		if !scalarList {
			b.WriteByte('[')
		}
		for i, e := range l {
			var sub strings.Builder
			if err := shapeValue(&sub, schema, t.Elem, e, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
			if !scalarList {
				b.WriteString(sub.String())
				b.WriteByte(',')
			}
		}
		if scalarList {
			b.WriteString("[v]")
		} else {
			b.WriteByte(']')
		}
		return nil
	}
	def := schema.Types[t.NamedType]
	if def == nil {
		b.WriteByte('v')
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		s, ok := v.(string)
		if !ok || def.EnumValues.ForName(s) == nil {
			return &wire.Error{Code: wire.CodeValidationFailed, Path: path,
				Message: fmt.Sprintf("expected one of the values %s for type %q, but found %s", enumList(def), def.Name, jsonText(v))}
		}
		b.WriteString(s)
	case ast.InputObject:
		o, ok := v.(*wire.Object)
		if !ok {
			return &wire.Error{Code: wire.CodeValidationFailed, Path: path,
				Message: fmt.Sprintf("expected an object for type %q, but found %s", def.Name, wire.Kind(v))}
		}
		b.WriteByte('{')
		for i, k := range o.Keys {
			f := def.Fields.ForName(k)
			if f == nil {
				return &wire.Error{Code: wire.CodeValidationFailed, Path: path + "." + k,
					Message: fmt.Sprintf("field '%s' not found in type: '%s'", k, def.Name)}
			}
			b.WriteString(k)
			b.WriteByte(':')
			if err := shapeValue(b, schema, f.Type, o.Vals[i], path+"."+k); err != nil {
				return err
			}
			b.WriteByte(',')
		}
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				if _, ok := o.Get(f.Name); !ok {
					return &wire.Error{Code: wire.CodeValidationFailed, Path: path,
						Message: fmt.Sprintf("missing required field '%s'", f.Name)}
				}
			}
		}
		b.WriteByte('}')
	default:
		if err := checkScalar(def.Name, v, path); err != nil {
			return err
		}
		if def.Name == "Boolean" {
			if v.(bool) {
				b.WriteByte('t')
			} else {
				b.WriteByte('f')
			}
			return nil
		}
		b.WriteByte('v')
	}
	return nil
}

// checkScalar checks a variable's value for a built-in scalar. Postgres
// scalars (bigint, numeric, uuid, jsonb, ...) accept any JSON value and are
// checked by Postgres when cast, as in Hasura.
func checkScalar(name string, v any, path string) error {
	bad := func(want string) *wire.Error {
		return &wire.Error{Code: wire.CodeParseFailed, Path: path,
			Message: fmt.Sprintf("expected %s for type %q, but found %s", want, name, wire.Kind(v))}
	}
	switch name {
	case "Int":
		n, ok := v.(json.Number)
		if !ok {
			return bad("a 32-bit integer")
		}
		if _, err := strconv.ParseInt(string(n), 10, 32); err != nil {
			return &wire.Error{Code: wire.CodeParseFailed, Path: path,
				Message: fmt.Sprintf("The value %s lies outside the bounds or is not an integer.  Maybe it is a float, or is there integer overflow?", n)}
		}
	case "Float":
		if _, ok := v.(json.Number); !ok {
			return bad("a float")
		}
	case "String":
		if _, ok := v.(string); !ok {
			return bad("a string")
		}
	case "Boolean":
		if _, ok := v.(bool); !ok {
			return bad("a boolean")
		}
	case "ID":
		switch v.(type) {
		case string, json.Number:
		default:
			return bad("a String or a 32-bit integer")
		}
	}
	return nil
}

func jsonText(v any) string {
	b, _ := wire.Marshal(v)
	return string(b)
}

func enumList(def *ast.Definition) string {
	names := make([]string, len(def.EnumValues))
	for i, e := range def.EnumValues {
		names[i] = e.Name
	}
	return strings.Join(names, ", ")
}

func baseName(t *ast.Type) string {
	for t.Elem != nil {
		t = t.Elem
	}
	return t.NamedType
}
