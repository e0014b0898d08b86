package templates

import (
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/catalog"
)

// describeFunctions fills in the tracked functions that return t's rows
// and t's computed fields, and each role's selectable computed fields.
func describeFunctions(t *model.Table, rt *catalog.Table) {
	for _, f := range t.Functions {
		rf := catalog.Function{Schema: f.Schema, Name: f.Name, Field: f.Field, Mutation: f.Mutation, Single: f.Single,
			Args: catalogArgs(f.Args), Roles: f.Roles()}
		if !f.Mutation {
			rf.Aggregate = f.AggregateField
		}
		rt.Functions = append(rt.Functions, rf)
	}
	for _, cf := range t.ComputedFields {
		rc := catalog.ComputedField{Field: cf.Name, Schema: cf.Schema, Function: cf.Function, Args: catalogArgs(cf.Args)}
		if cf.Scalar != nil {
			rc.Type, rc.BigNumber = cf.Scalar.SQLType, cf.Scalar.BigNumber()
		} else {
			rc.Returns = cf.Returns.Qualified()
		}
		rt.ComputedFields = append(rt.ComputedFields, rc)
	}
	for role, perm := range rt.Select {
		sp := t.Select[role]
		for _, cf := range t.ComputedFields {
			if cf.Scalar == nil {
				continue
			}
			for _, n := range sp.Meta.ComputedFields {
				if n == cf.Name {
					perm.ComputedFields = append(perm.ComputedFields, cf.Name)
				}
			}
		}
	}
}

func catalogArgs(args []*model.FunctionArg) []catalog.FunctionArg {
	out := make([]catalog.FunctionArg, 0, len(args))
	for _, a := range args {
		ca := catalog.FunctionArg{Name: a.SQLName, Type: a.Type.SQLType, Default: a.HasDefault, Session: a.Session, Row: a.Row}
		if !a.Session && !a.Row {
			ca.Field = a.Field
		}
		out = append(out, ca)
	}
	return out
}
