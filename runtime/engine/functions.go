package engine

import (
	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/vektah/gqlparser/v2/ast"
)

// hideFunctions removes from a role's schema the root fields of the query
// functions the role may not call. The generated schemas show a query
// function to every role that may select from its table (Hasura's
// default, HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS=true); with
// inference off only the roles with a function permission keep it, so
// that validation and introspection say what Hasura says.
func hideFunctions(sch *ast.Schema, s *catalog.Schema, role string) {
	hidden := map[string]bool{}
	for _, t := range s.Tables {
		for _, fn := range t.Functions {
			if fn.Mutation || fn.Allows(role) {
				continue
			}
			hidden[fn.Field] = true
			if fn.Aggregate != "" {
				hidden[fn.Aggregate] = true
			}
		}
	}
	// A root type may be full.graphqls's own definition, shared by the
	// roles' schemas: it is copied, never changed.
	without := func(root *ast.Definition) *ast.Definition {
		if root == nil {
			return nil
		}
		cp := *root
		cp.Fields = nil
		for _, f := range root.Fields {
			if !hidden[f.Name] {
				cp.Fields = append(cp.Fields, f)
			}
		}
		sch.Types[cp.Name] = &cp
		return &cp
	}
	var argTypes []string // the args input types of the hidden fields
	for _, root := range []*ast.Definition{sch.Query, sch.Subscription} {
		if root == nil {
			continue
		}
		for _, f := range root.Fields {
			if a := f.Arguments.ForName("args"); hidden[f.Name] && a != nil {
				argTypes = append(argTypes, a.Type.Name())
			}
		}
	}
	sch.Query = without(sch.Query)
	sch.Subscription = without(sch.Subscription)
	// An args type no other field uses goes too, as Hasura's schema has
	// only the types its fields use.
	used := map[string]bool{}
	for _, d := range sch.Types {
		for _, f := range d.Fields {
			used[f.Type.Name()] = true
			for _, a := range f.Arguments {
				used[a.Type.Name()] = true
			}
		}
	}
	for _, name := range argTypes {
		if !used[name] {
			delete(sch.Types, name)
		}
	}
}
