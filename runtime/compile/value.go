package compile

import (
	"encoding/json"
	"strconv"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// val is a GraphQL input value while compiling: a literal of the query
// text, or (part of) a variable's value. Values from variables become
// parameters that say where to find them, so that a compiled statement
// serves every request with the same variable shape.
type val struct {
	lit *ast.Value // a literal (never a variable reference)
	// For a value from a variable:
	fromVar bool
	json    any // ordered JSON: nil, bool, json.Number, string, []any, *wire.Object
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
		o, ok := v.json.(*wire.Object)
		if !ok {
			return nil
		}
		out := make([]field, len(o.Keys))
		for i, k := range o.Keys {
			out[i] = field{k, val{fromVar: true, json: o.Vals[i], name: v.name, path: appendPath(v.path, k)}}
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
// catalog.EncodeTextList/catalog.EncodeJSON, a list or JSON) value.
func (c *compiler) param(v val, enc catalog.Encoding) catalog.Param {
	if v.fromVar {
		return catalog.Param{Var: v.name, Path: v.path, Encoding: enc}
	}
	return catalog.Param{Const: literalConst(v.lit, enc), Encoding: enc}
}

// literalConst turns a literal into the constant a Param binds.
func literalConst(v *ast.Value, enc catalog.Encoding) any {
	a, _ := catalog.Encode(literalJSON(v), enc) // literals were validated
	return a
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

// LiteralValue is an input literal as a JSON value, with the variables
// in it replaced by their values (absent ones dropped from objects): the
// value of a Param whose Literal is set, when its statement runs.
func LiteralValue(v *ast.Value, vars map[string]any) any {
	switch v.Kind {
	case ast.Variable:
		x, ok := vars[v.Raw]
		if !ok && v.VariableDefinition != nil && v.VariableDefinition.DefaultValue != nil {
			return LiteralValue(v.VariableDefinition.DefaultValue, vars)
		}
		return x
	case ast.ObjectValue:
		o := &wire.Object{}
		for _, ch := range v.Children {
			if ch.Value.Kind == ast.Variable {
				if _, ok := vars[ch.Value.Raw]; !ok && (ch.Value.VariableDefinition == nil || ch.Value.VariableDefinition.DefaultValue == nil) {
					continue
				}
			}
			o.Keys = append(o.Keys, ch.Name)
			o.Vals = append(o.Vals, LiteralValue(ch.Value, vars))
		}
		return o
	case ast.ListValue:
		out := make([]any, len(v.Children))
		for i, ch := range v.Children {
			out[i] = LiteralValue(ch.Value, vars)
		}
		return out
	}
	return literalJSON(v)
}
