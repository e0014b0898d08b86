package templates

// The mutation part of a role's schema: mutation_root's insert_, update_
// and delete_ fields and their input types, per Hasura v2 (HASURA_API.md
// §1.2, §1.7), gated by the role's insert, update and delete permissions.
// The runtime's mutation compiler (runtime/mutation.go) reads these names.
//
// Beyond Hasura, update_<t>_by_pk takes one more argument per object
// relationship whose remote row the role may update: the operators to
// apply to that row, <rel>: {_set: ..., _inc: ...}, in the same
// statement.

import (
	"strings"

	"github.com/hasgen/hasgen/model"
)

// mutationRootFields returns mutation_root's fields.
func (b *sdlBuilder) mutationRootFields() []*sdlField {
	var out []*sdlField
	for _, t := range b.p.Tables {
		w := b.p.Writes(t, b.role)
		v := b.views[t] // nil when the role cannot select: no returning, no where
		q := sdlQualified(t)
		if w.Insert != nil && b.insertInput(w) {
			args := []sdlArg{{name: "objects", typ: "[" + t.TypeName("_insert_input") + "!]!", description: "the rows to be inserted"}}
			if b.onConflict(w) {
				args = append(args, sdlArg{name: b.n("on_conflict"), typ: t.TypeName("_on_conflict"), description: "upsert condition"})
			}
			b.mutationResponse(t, v)
			out = append(out, &sdlField{name: t.Roots.Insert, typ: t.TypeName("_mutation_response"), args: args,
				description: "insert data into the table: " + q})
			if v != nil {
				one := []sdlArg{{name: "object", typ: t.TypeName("_insert_input") + "!", description: "the row to be inserted"}}
				out = append(out, &sdlField{name: t.Roots.InsertOne, typ: t.TypeName(""), args: append(one, args[1:]...),
					description: "insert a single row into the table: " + q})
			}
		}
		if w.Update != nil && v != nil {
			ops := b.updateOperators(w)
			if len(ops) > 0 || len(w.Update.Set) > 0 {
				b.mutationResponse(t, v)
				where := sdlArg{name: "where", typ: t.TypeName("_bool_exp") + "!", description: "filter the rows which have to be updated"}
				out = append(out, &sdlField{name: t.Roots.Update, typ: t.TypeName("_mutation_response"),
					args: append(append([]sdlArg(nil), ops...), where), description: "update data of the table: " + q})
				if v.HasByPk(false) {
					b.pkColumnsInput(t)
					args := append(append([]sdlArg(nil), ops...), sdlArg{name: b.n("pk_columns"), typ: t.TypeName("_pk_columns_input") + "!"})
					args = append(args, b.nestedUpdates(t)...)
					out = append(out, &sdlField{name: t.Roots.UpdateByPk, typ: t.TypeName(""), args: args,
						description: "update single row of the table: " + q})
				}
				b.define(&sdlType{kind: sdlInput, name: t.TypeName("_updates"), fields: append(argsAsFields(ops),
					&sdlField{name: "where", typ: t.TypeName("_bool_exp") + "!", description: "filter the rows which have to be updated"})})
				out = append(out, &sdlField{name: t.Roots.UpdateMany, typ: "[" + t.TypeName("_mutation_response") + "]",
					args:        []sdlArg{{name: "updates", typ: "[" + t.TypeName("_updates") + "!]!", description: "updates to execute, in order"}},
					description: "update multiples rows of table: " + q})
			}
		}
		if w.Delete != nil && v != nil {
			b.mutationResponse(t, v)
			out = append(out, &sdlField{name: t.Roots.Delete, typ: t.TypeName("_mutation_response"),
				args:        []sdlArg{{name: "where", typ: t.TypeName("_bool_exp") + "!", description: "filter the rows which have to be deleted"}},
				description: "delete data from the table: " + q})
			if v.HasByPk(false) {
				f := &sdlField{name: t.Roots.DeleteByPk, typ: t.TypeName(""), description: "delete single row from the table: " + q}
				for _, c := range t.PrimaryKey {
					f.args = append(f.args, sdlArg{name: c.Field, typ: c.InputType() + "!", description: c.Description})
				}
				out = append(out, f)
			}
		}
	}
	return out
}

func argsAsFields(args []sdlArg) []*sdlField {
	out := make([]*sdlField, len(args))
	for i, a := range args {
		out[i] = &sdlField{name: a.name, typ: a.typ, description: a.description}
	}
	return out
}

// mutationResponse defines <t>_mutation_response; returning exists when
// the role may select from the table.
func (b *sdlBuilder) mutationResponse(t *model.Table, v *model.View) {
	d := &sdlType{kind: sdlObject, name: t.TypeName("_mutation_response"),
		description: "response of any mutation on the table " + sdlQualified(t),
		fields:      []*sdlField{{name: b.n("affected_rows"), typ: "Int!", description: "number of rows affected by the mutation"}}}
	if v != nil {
		d.fields = append(d.fields, &sdlField{name: "returning", typ: "[" + t.TypeName("") + "!]!", description: "data from the rows affected by the mutation"})
	}
	b.define(d)
}

// insertInput defines <t>_insert_input and the relationship inputs it
// uses; false when it would have no field.
func (b *sdlBuilder) insertInput(w *model.Writes) bool {
	t := w.Table
	name := t.TypeName("_insert_input")
	if b.defs[name] != nil || b.inserting[name] {
		return true // defined, or being defined higher up a relationship cycle
	}
	if b.inserting == nil {
		b.inserting = map[string]bool{}
	}
	b.inserting[name] = true
	defer delete(b.inserting, name)
	d := &sdlType{kind: sdlInput, name: name,
		description: "input type for inserting data into table " + sdlQualified(t)}
	for _, c := range w.InsertColumns() {
		b.scalar(c)
		d.fields = append(d.fields, &sdlField{name: c.Field, typ: c.InputType(), description: c.Description})
	}
	for _, r := range t.Relationships {
		rw := b.p.Writes(r.Remote, b.role)
		if rw.Insert == nil || !b.relInsertInput(rw, r.Array) {
			continue
		}
		kind := "obj_rel"
		if r.Array {
			kind = "arr_rel"
		}
		d.fields = append(d.fields, &sdlField{name: r.Name, typ: r.Remote.TypeName("_" + kind + "_insert_input")})
	}
	if len(d.fields) == 0 {
		return false
	}
	b.define(d)
	return true
}

// relInsertInput defines <t>_obj_rel_insert_input or
// <t>_arr_rel_insert_input, the data of a nested insert, and reports
// whether the remote table can be inserted into.
func (b *sdlBuilder) relInsertInput(w *model.Writes, array bool) bool {
	t := w.Table
	if !b.insertInput(w) {
		return false
	}
	d := &sdlType{kind: sdlInput}
	if array {
		d.name = t.TypeName("_arr_rel_insert_input")
		d.description = "input type for inserting array relation for remote table " + sdlQualified(t)
		d.fields = []*sdlField{{name: "data", typ: "[" + t.TypeName("_insert_input") + "!]!"}}
	} else {
		d.name = t.TypeName("_obj_rel_insert_input")
		d.description = "input type for inserting object relation for remote table " + sdlQualified(t)
		d.fields = []*sdlField{{name: "data", typ: t.TypeName("_insert_input") + "!"}}
	}
	if b.onConflict(w) {
		d.fields = append(d.fields, &sdlField{name: b.n("on_conflict"), typ: t.TypeName("_on_conflict"), description: "upsert condition"})
	}
	b.define(d)
	return true
}

// onConflict defines <t>_on_conflict, <t>_constraint and
// <t>_update_column, and reports whether the table has them: it needs a
// primary key or unique constraint. Without an update permission the only
// update column is _PLACEHOLDER, so an upsert can only DO NOTHING.
func (b *sdlBuilder) onConflict(w *model.Writes) bool {
	t := w.Table
	if len(t.Constraints) == 0 {
		return false
	}
	cons := &sdlType{kind: sdlEnum, name: t.TypeName("_constraint"),
		description: "unique or primary key constraints on table " + sdlQualified(t)}
	for _, c := range t.Constraints {
		cols := make([]string, len(c.Columns))
		for i, col := range c.Columns {
			cols[i] = `"` + col.Name + `"`
		}
		cons.values = append(cons.values, sdlValue{name: c.Name,
			description: "unique or primary key constraint on columns " + strings.Join(cols, ", ")})
	}
	b.define(cons)
	upd := &sdlType{kind: sdlEnum, name: t.TypeName("_update_column"),
		description: "update columns of table " + sdlQualified(t)}
	for _, c := range w.UpdateColumns() {
		upd.values = append(upd.values, sdlValue{name: c.Field, description: "column name"})
	}
	if len(upd.values) == 0 {
		upd.values = []sdlValue{{name: "_PLACEHOLDER", description: "placeholder (do not use)"}}
	}
	b.define(upd)
	d := &sdlType{kind: sdlInput, name: t.TypeName("_on_conflict"),
		description: "on_conflict condition type for table " + sdlQualified(t),
		fields: []*sdlField{
			{name: "constraint", typ: t.TypeName("_constraint") + "!"},
			{name: b.n("update_columns"), typ: "[" + t.TypeName("_update_column") + "!]!", defaultValue: "[]"},
		}}
	if b.views[t] != nil {
		d.fields = append(d.fields, &sdlField{name: "where", typ: t.TypeName("_bool_exp")})
	}
	b.define(d)
	return true
}

// updateOperators defines the update operator inputs of a table and
// returns them as arguments: _append, _delete_at_path, _delete_elem,
// _delete_key, _inc, _prepend, _set, each only when it has columns.
func (b *sdlBuilder) updateOperators(w *model.Writes) []sdlArg {
	t := w.Table
	cols := w.UpdateColumns()
	var numeric, jsonb []*model.Column
	for _, c := range cols {
		if c.IsNumeric() {
			numeric = append(numeric, c)
		}
		if c.IsJSONB() {
			jsonb = append(jsonb, c)
		}
	}
	var args []sdlArg
	op := func(arg, suffix, description string, cols []*model.Column, typ func(*model.Column) string) {
		if len(cols) == 0 {
			return
		}
		d := &sdlType{kind: sdlInput, name: t.TypeName(suffix), description: description + " " + sdlQualified(t)}
		for _, c := range cols {
			b.scalar(c)
			d.fields = append(d.fields, &sdlField{name: c.Field, typ: typ(c), description: c.Description})
		}
		b.define(d)
		args = append(args, sdlArg{name: b.n(arg), typ: t.TypeName(suffix)})
	}
	same := func(c *model.Column) string { return c.InputType() }
	op("_append", "_append_input", "append existing jsonb value of filtered columns with new jsonb value", jsonb, same)
	op("_delete_at_path", "_delete_at_path_input", "delete the field or element with specified path (for JSON arrays, negative integers count from the end)", jsonb,
		func(*model.Column) string { return "[String!]" })
	op("_delete_elem", "_delete_elem_input", "delete the array element with specified index (negative integers count from the end). throws an error if top level container is not an array", jsonb,
		func(*model.Column) string { return "Int" })
	op("_delete_key", "_delete_key_input", "delete key/value pair or string element. key/value pairs are matched based on their key value", jsonb,
		func(*model.Column) string { return "String" })
	op("_inc", "_inc_input", "input type for incrementing numeric columns in table", numeric, same)
	op("_prepend", "_prepend_input", "prepend existing jsonb value of filtered columns with new jsonb value", jsonb, same)
	op("_set", "_set_input", "input type for updating data in table", cols, same)
	return args
}

// pkColumnsInput defines <t>_pk_columns_input.
func (b *sdlBuilder) pkColumnsInput(t *model.Table) {
	d := &sdlType{kind: sdlInput, name: t.TypeName("_pk_columns_input"),
		description: "primary key columns input for table: " + sdlQualified(t)}
	for _, c := range t.PrimaryKey {
		d.fields = append(d.fields, &sdlField{name: c.Field, typ: c.InputType() + "!", description: c.Description})
	}
	b.define(d)
}

// nestedUpdates returns update_<t>_by_pk's arguments for nested updates:
// one per object relationship whose remote row the role may update, of
// type <remote>_obj_rel_update_input holding the remote's operators.
func (b *sdlBuilder) nestedUpdates(t *model.Table) []sdlArg {
	var args []sdlArg
	for _, r := range t.Relationships {
		if r.Array || r.Name == b.n("pk_columns") || strings.HasPrefix(r.Name, "_") {
			continue // an array has no one row; the other names are taken
		}
		rw := b.p.Writes(r.Remote, b.role)
		if rw.Update == nil || b.views[r.Remote] == nil {
			continue
		}
		ops := b.updateOperators(rw)
		if len(ops) == 0 {
			continue
		}
		name := r.Remote.TypeName("_obj_rel_update_input")
		b.define(&sdlType{kind: sdlInput, name: name,
			description: "update operators for the row of " + sdlQualified(r.Remote) + " an object relationship leads to, in the same statement (hasgen)",
			fields:      argsAsFields(ops)})
		args = append(args, sdlArg{name: r.Name, typ: name, description: "also update the " + r.Name + " row (hasgen nested update)"})
	}
	return args
}
