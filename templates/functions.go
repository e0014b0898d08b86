package templates

import (
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/catalog"
)

// describeFunctions fills in the tracked functions that return t's rows
// and t's computed fields, and each role's selectable computed fields.
func describeFunctions(t *model.Table, rt *catalog.Table) {
	for _, f := range t.Functions {
		rf := catalog.Function{Schema: f.Schema, Name: f.Name, Field: f.Field, Mutation: f.Mutation, Single: f.Single,
			Args: catalogArgs(f.Args), Roles: f.Roles(), Permitted: f.Meta.Permissions}
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
	for _, rp := range rt.Permissions {
		perm := rp.Select
		if perm == nil {
			continue
		}
		sp := t.Select[rp.Role]
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

// computed writes a scalar computed field's call on the row alias x in a
// permission filter, cast to cast when not empty:
// "public"."author_full_name"(ROW(x."id", ...)::"public"."author", <session>).
func (fw *filterWriter) computed(x string, cf *metadata.ComputedField, cast string) {
	d := cf.Def
	if cast != "" {
		fw.text("(")
	}
	// The function may read any table: a live query over it always polls.
	fw.parts = append(fw.parts, part{reads: model.QuoteIdent(d.Schema) + "." + model.QuoteIdent(d.Name) + "()"})
	fw.text(model.QuoteIdent(d.Schema) + "." + model.QuoteIdent(d.Name) + "(")
	n, named := 0, false
	for i, a := range d.Args {
		if i != cf.TableArgIndex && i != cf.SessionArgIndex {
			// An argument with a default (metadata allows no other):
			// omitted, and those after it are passed by name.
			named = true
			continue
		}
		if n > 0 {
			fw.text(", ")
		}
		n++
		if named {
			fw.text(model.QuoteIdent(a.Name) + " => ")
		}
		if i == cf.SessionArgIndex {
			fw.parts = append(fw.parts, part{sessionObject: true, typ: model.SQLType(a.Type)})
			continue
		}
		fw.text("ROW(")
		for j, c := range cf.RowColumns {
			if j > 0 {
				fw.text(", ")
			}
			fw.alias(x)
			fw.text("." + model.QuoteIdent(c))
		}
		fw.text(")::" + model.SQLType(a.Type))
	}
	fw.text(")")
	if cast != "" {
		fw.text(")::" + cast)
	}
}
