package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// object is a JSON object that keeps its keys in order: Hasura expands
// order_by objects in key order, also when they come from variables.
type object struct {
	keys []string
	vals []any
}

func (o *object) get(k string) (any, bool) {
	for i, kk := range o.keys {
		if kk == k {
			return o.vals[i], true
		}
	}
	return nil, false
}

// decodeOrdered decodes JSON into nil, bool, json.Number, string, []any and
// *object.
func decodeOrdered(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("unexpected data after JSON value")
	}
	return v, nil
}

func decodeValue(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				o.keys = append(o.keys, kt.(string))
				o.vals = append(o.vals, v)
			}
			_, err := d.Token()
			return o, err
		case '[':
			l := []any{}
			for d.More() {
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := d.Token()
			return l, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return tok, nil
	}
}

// val is a GraphQL input value while compiling: a literal of the query
// text, or (part of) a variable's value. Values from variables become
// parameters that say where to find them, so that a compiled statement
// serves every request with the same variable shape.
type val struct {
	lit *ast.Value // a literal (never a variable reference)
	// For a value from a variable:
	fromVar bool
	json    any // ordered JSON: nil, bool, json.Number, string, []any, *object
	name    string
	path    []any
	absent  bool // a variable with no value and no default
}

// argVal returns the argument's value, or an absent val.
func (c *compiler) arg(f *ast.Field, name string) val {
	a := f.Arguments.ForName(name)
	if a == nil {
		return val{absent: true}
	}
	return c.value(a.Value)
}

func (c *compiler) value(v *ast.Value) val {
	if v == nil {
		return val{absent: true}
	}
	if v.Kind != ast.Variable {
		return val{lit: v}
	}
	j, ok := c.vars[v.Raw]
	if !ok {
		if v.VariableDefinition != nil && v.VariableDefinition.DefaultValue != nil {
			return c.value(v.VariableDefinition.DefaultValue)
		}
		return val{absent: true}
	}
	return val{fromVar: true, json: j, name: v.Raw}
}

// isNull reports an explicit null or an absent value: Hasura treats null
// arguments as absent.
func (v val) isNull() bool {
	if v.absent {
		return true
	}
	if v.fromVar {
		return v.json == nil
	}
	return v.lit == nil || v.lit.Kind == ast.NullValue
}

// fields returns an object value's fields in order.
func (c *compiler) fields(v val) []field {
	if v.isNull() {
		return nil
	}
	if v.fromVar {
		o, ok := v.json.(*object)
		if !ok {
			return nil
		}
		out := make([]field, len(o.keys))
		for i, k := range o.keys {
			out[i] = field{k, val{fromVar: true, json: o.vals[i], name: v.name, path: appendPath(v.path, k)}}
		}
		return out
	}
	if v.lit.Kind != ast.ObjectValue {
		return nil
	}
	out := make([]field, 0, len(v.lit.Children))
	for _, ch := range v.lit.Children {
		out = append(out, field{ch.Name, c.value(ch.Value)})
	}
	return out
}

type field struct {
	name string
	v    val
}

// items returns a list value's items; a single non-list value is a list of
// one (GraphQL input coercion).
func (c *compiler) items(v val) []val {
	if v.isNull() {
		return nil
	}
	if v.fromVar {
		l, ok := v.json.([]any)
		if !ok {
			return []val{v}
		}
		out := make([]val, len(l))
		for i, x := range l {
			out[i] = val{fromVar: true, json: x, name: v.name, path: appendPath(v.path, i)}
		}
		return out
	}
	if v.lit.Kind != ast.ListValue {
		return []val{v}
	}
	out := make([]val, 0, len(v.lit.Children))
	for _, ch := range v.lit.Children {
		out = append(out, c.value(ch.Value))
	}
	return out
}

// enum returns the name of an enum value (also used for Boolean
// literals' text).
func (v val) enum() string {
	if v.fromVar {
		switch j := v.json.(type) {
		case string:
			return j
		case bool:
			return strconv.FormatBool(j)
		}
		return ""
	}
	if v.lit == nil {
		return ""
	}
	return v.lit.Raw
}

// boolean returns a Boolean value.
func (v val) boolean() bool {
	if v.fromVar {
		b, _ := v.json.(bool)
		return b
	}
	return v.lit != nil && v.lit.Kind == ast.BooleanValue && v.lit.Raw == "true"
}

// int returns an Int value known when compiling (literals; variables are
// parameters instead).
func (v val) int() (int64, bool) {
	if v.fromVar {
		switch j := v.json.(type) {
		case json.Number:
			n, err := j.Int64()
			return n, err == nil
		case string:
			n, err := strconv.ParseInt(j, 10, 64)
			return n, err == nil
		}
		return 0, false
	}
	n, err := strconv.ParseInt(v.lit.Raw, 10, 64)
	return n, err == nil
}

// param returns the parameter that carries a scalar (or, with
// EncodeTextList/EncodeJSON, a list or JSON) value.
func (c *compiler) param(v val, enc Encoding) Param {
	if v.fromVar {
		return Param{Var: v.name, Path: v.path, Encoding: enc}
	}
	return Param{Const: literalConst(v.lit, enc), Encoding: enc}
}

// literalConst turns a literal into the constant a Param binds.
func literalConst(v *ast.Value, enc Encoding) any {
	switch enc {
	case EncodeJSON:
		b, _ := json.Marshal(literalJSON(v))
		return string(b)
	case EncodeJSONList:
		items := v.Children
		if v.Kind != ast.ListValue {
			items = ast.ChildValueList{{Value: v}}
		}
		out := make([]string, len(items))
		for i, ch := range items {
			b, _ := json.Marshal(literalJSON(ch.Value))
			out[i] = string(b)
		}
		return out
	case EncodeArray:
		lit, _ := arrayLiteral(literalJSON(v))
		return lit
	case EncodeJSONPath:
		// Checked when compiling (compiler.columnValue).
		keys, _ := jsonPathKeys(scalarText(v))
		return keys
	case EncodeTextList:
		if v.Kind != ast.ListValue {
			return []string{scalarText(v)}
		}
		out := make([]string, len(v.Children))
		for i, ch := range v.Children {
			out[i] = scalarText(ch.Value)
		}
		return out
	}
	if v.Kind == ast.NullValue {
		return nil
	}
	return scalarText(v)
}

func scalarText(v *ast.Value) string {
	switch v.Kind {
	case ast.ListValue, ast.ObjectValue:
		b, _ := json.Marshal(literalJSON(v))
		return string(b)
	}
	return v.Raw
}

// literalJSON converts a literal to a Go JSON value (for jsonb operands
// written inline in the query).
func literalJSON(v *ast.Value) any {
	switch v.Kind {
	case ast.NullValue:
		return nil
	case ast.IntValue, ast.FloatValue:
		return json.Number(v.Raw)
	case ast.BooleanValue:
		return v.Raw == "true"
	case ast.ListValue:
		out := make([]any, len(v.Children))
		for i, ch := range v.Children {
			out[i] = literalJSON(ch.Value)
		}
		return out
	case ast.ObjectValue:
		m := make(map[string]any, len(v.Children))
		for _, ch := range v.Children {
			m[ch.Name] = literalJSON(ch.Value)
		}
		return m
	}
	return v.Raw
}

func appendPath(p []any, k any) []any {
	out := make([]any, len(p), len(p)+1)
	copy(out, p)
	return append(out, k)
}

// lookup follows path into a decoded variable value.
func lookup(v any, path []any) (any, bool) {
	for _, k := range path {
		switch k := k.(type) {
		case string:
			switch o := v.(type) {
			case *object:
				x, ok := o.get(k)
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

// textOf returns the text Postgres receives for a JSON scalar.
func textOf(v any) (any, error) {
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
	b, err := marshalOrdered(v)
	return string(b), err
}

// marshalOrdered writes a decoded value back to JSON, keeping key order.
func marshalOrdered(v any) ([]byte, error) {
	var b bytes.Buffer
	err := writeOrdered(&b, v)
	return b.Bytes(), err
}

func writeOrdered(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case *object:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			if err := writeOrdered(b, x.vals[i]); err != nil {
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
			if err := writeOrdered(b, e); err != nil {
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

// shapeOf checks the variables against their declared types and writes
// the part of them that decides the SQL of an operation: presence and
// nullness, object keys in order, list lengths of non-scalar lists, enum
// values and Booleans. Scalar values become parameters and are left out, so
// requests that differ only in them share one compiled statement.
func shapeOf(b *strings.Builder, schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any) *Error {
	for _, vd := range op.VariableDefinitions {
		v, ok := vars[vd.Variable]
		path := "$.variableValues." + vd.Variable
		if !ok {
			if vd.Type.NonNull && vd.DefaultValue == nil {
				return &Error{Code: CodeValidationFailed, Path: path,
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

func shapeValue(b *strings.Builder, schema *ast.Schema, t *ast.Type, v any, path string) *Error {
	if v == nil {
		if t.NonNull {
			return &Error{Code: CodeValidationFailed, Path: path,
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
			return &Error{Code: CodeValidationFailed, Path: path,
				Message: fmt.Sprintf("expected one of the values %s for type %q, but found %s", enumList(def), def.Name, jsonText(v))}
		}
		b.WriteString(s)
	case ast.InputObject:
		o, ok := v.(*object)
		if !ok {
			return &Error{Code: CodeValidationFailed, Path: path,
				Message: fmt.Sprintf("expected an object for type %q, but found %s", def.Name, kindOf(v))}
		}
		b.WriteByte('{')
		for i, k := range o.keys {
			f := def.Fields.ForName(k)
			if f == nil {
				return &Error{Code: CodeValidationFailed, Path: path + "." + k,
					Message: fmt.Sprintf("field '%s' not found in type: '%s'", k, def.Name)}
			}
			b.WriteString(k)
			b.WriteByte(':')
			if err := shapeValue(b, schema, f.Type, o.vals[i], path+"."+k); err != nil {
				return err
			}
			b.WriteByte(',')
		}
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				if _, ok := o.get(f.Name); !ok {
					return &Error{Code: CodeValidationFailed, Path: path,
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
func checkScalar(name string, v any, path string) *Error {
	bad := func(want string) *Error {
		return &Error{Code: CodeParseFailed, Path: path,
			Message: fmt.Sprintf("expected %s for type %q, but found %s", want, name, kindOf(v))}
	}
	switch name {
	case "Int":
		n, ok := v.(json.Number)
		if !ok {
			return bad("a 32-bit integer")
		}
		if _, err := strconv.ParseInt(string(n), 10, 32); err != nil {
			return &Error{Code: CodeParseFailed, Path: path,
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

func kindOf(v any) string {
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

func jsonText(v any) string {
	b, _ := marshalOrdered(v)
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

// literalWithVars is an input literal as a JSON value, with the variables
// in it replaced by their values (absent ones dropped from objects).
func literalWithVars(v *ast.Value, vars map[string]any) any {
	switch v.Kind {
	case ast.Variable:
		x, ok := vars[v.Raw]
		if !ok && v.VariableDefinition != nil && v.VariableDefinition.DefaultValue != nil {
			return literalWithVars(v.VariableDefinition.DefaultValue, vars)
		}
		return x
	case ast.ObjectValue:
		o := &object{}
		for _, ch := range v.Children {
			if ch.Value.Kind == ast.Variable {
				if _, ok := vars[ch.Value.Raw]; !ok && (ch.Value.VariableDefinition == nil || ch.Value.VariableDefinition.DefaultValue == nil) {
					continue
				}
			}
			o.keys = append(o.keys, ch.Name)
			o.vals = append(o.vals, literalWithVars(ch.Value, vars))
		}
		return o
	case ast.ListValue:
		out := make([]any, len(v.Children))
		for i, ch := range v.Children {
			out[i] = literalWithVars(ch.Value, vars)
		}
		return out
	}
	return literalJSON(v)
}
