package engine

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// Enum values in requests, checked with Hasura's messages (its enum
// parser) before gqlparser's own validation words them differently:
//
//	expected one of the values ['admin', 'editor'] for type 'user_role_enum', but found 'bogus'
//	expected an enum value for type 'user_role_enum', but found a string

// enumLiteral checks a literal in a position of type t when t is an enum
// type: a name that is one of its values, else Hasura's error. It reports
// whether t was an enum type (the value is then checked).
func (ck *fieldChecker) enumLiteral(t *ast.Type, v *ast.Value, path string) bool {
	if t.Elem != nil {
		return false
	}
	def := ck.schema.Types[t.NamedType]
	if def == nil || def.Kind != ast.Enum {
		return false
	}
	var found string
	switch v.Kind {
	case ast.EnumValue:
		if def.EnumValues.ForName(v.Raw) != nil {
			return true
		}
		ck.err = &wire.Error{Code: wire.CodeValidationFailed, Path: path, Message: enumValuesMessage(def, v.Raw)}
		return true
	case ast.StringValue, ast.BlockValue:
		found = "a string"
	case ast.IntValue:
		found = "an integer"
	case ast.FloatValue:
		found = "a float"
	case ast.BooleanValue:
		found = "a boolean"
	default:
		return false
	}
	ck.err = &wire.Error{Code: wire.CodeValidationFailed, Path: path,
		Message: fmt.Sprintf("expected an enum value for type '%s', but found %s", def.Name, found)}
	return true
}

// enumVariable checks a variable's value for enum type def: a string
// that is one of its values. It returns Hasura's error, or nil.
func enumVariable(def *ast.Definition, v any, path string) *wire.Error {
	s, ok := v.(string)
	if ok && def.EnumValues.ForName(s) != nil {
		return nil
	}
	if ok && graphQLName.MatchString(s) {
		return &wire.Error{Code: wire.CodeValidationFailed, Path: path, Message: enumValuesMessage(def, s)}
	}
	return &wire.Error{Code: wire.CodeValidationFailed, Path: path,
		Message: fmt.Sprintf("expected an enum value for type '%s', but found %s", def.Name, jsonKind(v))}
}

var graphQLName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)

// enumValuesMessage is Hasura's error for a name that is not a value of
// enum def: its values in schema order.
func enumValuesMessage(def *ast.Definition, found string) string {
	names := make([]string, len(def.EnumValues))
	for i, e := range def.EnumValues {
		names[i] = "'" + e.Name + "'"
	}
	return fmt.Sprintf("expected one of the values [%s] for type '%s', but found '%s'", strings.Join(names, ", "), def.Name, found)
}

// jsonKind describes a decoded JSON value as Hasura does.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case []any:
		return "a list"
	case *wire.Object, map[string]any:
		return "an object"
	}
	return "a number"
}
