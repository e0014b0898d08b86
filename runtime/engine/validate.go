package engine

import (
	"fmt"
	"strings"

	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// validate checks a document against a role's schema: first the fields,
// arguments and input fields the schema lacks, reported as Hasura does
// ("field 'x' not found in type: 'T'" at a path such as
// $.selectionSet.albums.args.where.x), then the rest of GraphQL's rules
// (gqlparser), which also annotate the document with its definitions (the
// compiler relies on that).
func validate(schema *ast.Schema, doc *ast.QueryDocument) error {
	if err := checkFields(schema, doc); err != nil {
		return err
	}
	gerrs := validator.ValidateWithRules(schema, doc, nil)
	if len(gerrs) == 0 {
		return nil
	}
	out := make(wire.List, len(gerrs))
	for i, ge := range gerrs {
		msg := ge.Message
		if strings.HasSuffix(msg, "must select only one top level field.") {
			msg = msgOneRootField
		}
		out[i] = &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: msg, Err: ge}
	}
	return out
}

// msgOneRootField is Hasura's error for a subscription with several root
// fields.
const msgOneRootField = "subscriptions must select one top level field"

func checkFields(schema *ast.Schema, doc *ast.QueryDocument) error {
	ck := &fieldChecker{schema: schema, doc: doc}
	for _, op := range doc.Operations {
		var root *ast.Definition
		switch op.Operation {
		case ast.Mutation:
			root = schema.Mutation
			if root == nil {
				return &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: "no mutations exist"}
			}
		case ast.Subscription:
			root = schema.Subscription
			if root == nil {
				return &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: "no subscriptions exist"}
			}
		default:
			root = schema.Query
		}
		ck.visited = map[string]bool{}
		ck.selections(root, op.SelectionSet, "$")
		if ck.err != nil {
			return ck.err
		}
	}
	return nil
}

type fieldChecker struct {
	schema  *ast.Schema
	doc     *ast.QueryDocument
	visited map[string]bool
	err     *wire.Error
}

func (ck *fieldChecker) fail(path, format string, args ...any) {
	if ck.err == nil {
		ck.err = &wire.Error{Code: wire.CodeValidationFailed, Path: path, Message: fmt.Sprintf(format, args...)}
	}
}

func (ck *fieldChecker) selections(def *ast.Definition, set ast.SelectionSet, path string) {
	for _, sel := range set {
		if ck.err != nil {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__typename" || s.Name == "__schema" || s.Name == "__type" {
				continue
			}
			fd := def.Fields.ForName(s.Name)
			fpath := path + ".selectionSet." + s.Name
			if fd == nil {
				ck.fail(fpath, "field '%s' not found in type: '%s'", s.Name, def.Name)
				return
			}
			for _, a := range s.Arguments {
				ad := fd.Arguments.ForName(a.Name)
				if ad == nil {
					ck.fail(fpath, "'%s' has no argument named '%s'", s.Name, a.Name)
					return
				}
				ck.value(ad.Type, a.Value, fpath+".args."+a.Name)
			}
			if inner := ck.schema.Types[fd.Type.Name()]; inner != nil && (inner.Kind == ast.Object || inner.Kind == ast.Interface) {
				ck.selections(inner, s.SelectionSet, fpath)
			}
		case *ast.InlineFragment:
			inner := def
			if s.TypeCondition != "" {
				if inner = ck.schema.Types[s.TypeCondition]; inner == nil {
					ck.fail(path, "type '%s' not found", s.TypeCondition)
					return
				}
			}
			ck.selections(inner, s.SelectionSet, path)
		case *ast.FragmentSpread:
			if ck.visited[s.Name] {
				continue
			}
			ck.visited[s.Name] = true
			frag := ck.doc.Fragments.ForName(s.Name)
			if frag == nil {
				continue // gqlparser reports it
			}
			inner := ck.schema.Types[frag.TypeCondition]
			if inner == nil {
				ck.fail(path, "type '%s' not found", frag.TypeCondition)
				return
			}
			ck.selections(inner, frag.SelectionSet, path)
		}
	}
}

// value checks the input fields of a literal input value.
func (ck *fieldChecker) value(t *ast.Type, v *ast.Value, path string) {
	if v == nil || ck.err != nil {
		return
	}
	switch v.Kind {
	case ast.ListValue:
		elem := t
		if t.Elem != nil {
			elem = t.Elem
		}
		for i, ch := range v.Children {
			ck.value(elem, ch.Value, fmt.Sprintf("%s[%d]", path, i))
		}
	case ast.ObjectValue:
		if t.Elem != nil {
			ck.value(t.Elem, v, path)
			return
		}
		def := ck.schema.Types[t.NamedType]
		if def == nil || def.Kind != ast.InputObject {
			return
		}
		for _, ch := range v.Children {
			fd := def.Fields.ForName(ch.Name)
			if fd == nil {
				ck.fail(path+"."+ch.Name, "field '%s' not found in type: '%s'", ch.Name, def.Name)
				return
			}
			ck.value(fd.Type, ch.Value, path+"."+ch.Name)
		}
	case ast.IntValue:
		if t.Elem == nil && t.NamedType == "Int" {
			var n int64
			if _, err := fmt.Sscan(v.Raw, &n); err != nil || n < -1<<31 || n > 1<<31-1 {
				ck.err = &wire.Error{Code: wire.CodeParseFailed, Path: path,
					Message: fmt.Sprintf("The value %s lies outside the bounds or is not an integer.  Maybe it is a float, or is there integer overflow?", v.Raw)}
			}
		}
	}
}
