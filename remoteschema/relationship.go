package remoteschema

// Remote relationships from a table to a remote schema: each is checked
// against the remote's snapshot (the fields of its path exist, its
// arguments fit their types, columns as variables of the argument's
// type) and becomes a remote.Relationship for the server and a field of
// the table's type for each role that may call the remote field.

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/vektah/gqlparser/v2/ast"
)

// RelationshipField is a remote relationship's field of a table's object
// type: its SDL for each role whose remote permission allows the remote
// field (admin's under "admin"). Whether a role also selects the
// relationship's columns is the caller's to check.
type RelationshipField struct {
	Rel *remote.Relationship
	// Columns are the columns the relationship needs (Postgres names).
	Columns []string
	// SDL is the field's definition (one line) by role.
	SDL map[string]string
}

// AddRelationship checks the table's remote relationship rel against the
// remote and records it. typeName is the served name of the table's
// object type; scalar gives the GraphQL scalar of one of its columns.
// Errors are *metadata.Error at the metadata's positions.
func (m *Merged) AddRelationship(table, typeName string, rel *metadata.RemoteRelationship, scalar func(column string) string) error {
	ctx := fmt.Sprintf("table %s remote relationship %q", table, rel.Name)
	errAt := func(p metadata.Pos, format string, args ...any) error {
		return &metadata.Error{Pos: p, Msg: ctx + ": " + fmt.Sprintf(format, args...)}
	}
	rs := m.remote
	if rs.Query == nil {
		return errAt(rel.SchemaPos, "remote schema %q has no query root", m.Schema.Name)
	}
	out := &remote.Relationship{Table: typeName, Name: rel.Name, Columns: rel.LHSFields}
	colIndex := map[string]int{}
	for i, c := range rel.LHSFields {
		colIndex[c] = i
	}
	parent := rs.Query
	var leaf *ast.FieldDefinition
	given := map[string]bool{}
	for i, step := range rel.RemoteField {
		fd := parent.Fields.ForName(step.Name)
		if fd == nil || strings.HasPrefix(step.Name, "__") {
			return errAt(step.Pos, "field %s.%s is not in remote schema %q", parent.Name, step.Name, m.Schema.Name)
		}
		served := m.c.FieldName(parent.Name, fd.Name)
		parentServed := m.c.TypeName(parent.Name)
		if parent == rs.Query {
			if m.c.Namespace() == "" {
				parentServed = "query_root"
			}
		}
		var args []string
		for _, a := range step.Arguments {
			ad := fd.Arguments.ForName(a.Name)
			if ad == nil {
				return errAt(a.Pos, "argument %s is not an argument of %s.%s", a.Name, parent.Name, fd.Name)
			}
			text, err := m.valueText(a.Value, ad.Type, func(col string, t *ast.Type, p metadata.Pos) (string, error) {
				if err := columnFits(scalar(col), t, rs); err != nil {
					return "", errAt(p, "$%s: %v", col, err)
				}
				out.Vars = append(out.Vars, remote.RelationshipVar{Column: colIndex[col], Type: t.String()})
				return "$" + remote.VarName(len(out.Vars)-1), nil
			}, errAt)
			if err != nil {
				return err
			}
			args = append(args, a.Name+": "+text)
		}
		out.Path = append(out.Path, remote.RelationshipStep{Field: fd.Name, Served: served, Parent: parentServed, Args: strings.Join(args, ", ")})
		named := rs.Types[fd.Type.Name()]
		if i == len(rel.RemoteField)-1 {
			leaf = fd
			for _, a := range step.Arguments {
				given[a.Name] = true
			}
			out.LeafType = m.c.TypeName(named.Name)
			break
		}
		if fd.Type.Elem != nil || named == nil || (named.Kind != ast.Object && named.Kind != ast.Interface) {
			return errAt(step.Pos, "field %s.%s is of type %s: hasgen follows remote_field through object fields (not lists or scalars)", parent.Name, fd.Name, fd.Type)
		}
		parent = named
	}
	rf := &RelationshipField{Rel: out, Columns: rel.LHSFields, SDL: map[string]string{}}
	rf.SDL["admin"] = m.fieldSDL(rel.Name, leaf, given)
	roles := make([]string, 0, len(m.perms))
	for role := range m.perms {
		roles = append(roles, role)
	}
	sort.Strings(roles)
	for _, role := range roles {
		if f := m.permitted(role, rel, out); f != nil {
			rf.SDL[role] = m.fieldSDL(rel.Name, f, given)
		}
	}
	m.Schema.Relationships = append(m.Schema.Relationships, out)
	m.Fields = append(m.Fields, rf)
	return nil
}

// permitted returns the leaf field of rel's path as role's permission
// has it, or nil when the permission lacks a field of the path or an
// argument the relationship gives (Hasura's rule: a preset argument is
// given by the relationship, its preset ignored). out is rel's
// description, for the steps' served names.
func (m *Merged) permitted(role string, rel *metadata.RemoteRelationship, out *remote.Relationship) *ast.FieldDefinition {
	defs := m.perms[role]
	parent := defs[m.remote.Query.Name]
	var f *ast.FieldDefinition
	for i, step := range rel.RemoteField {
		if parent == nil {
			return nil
		}
		if f = parent.Fields.ForName(step.Name); f == nil {
			return nil
		}
		for _, a := range step.Arguments {
			if f.Arguments.ForName(a.Name) == nil && !m.preset(role, out.Path[i], a.Name) {
				return nil
			}
		}
		parent = defs[f.Type.Name()]
	}
	if !builtinScalar[f.Type.Name()] && defs[f.Type.Name()] == nil {
		return nil
	}
	return f
}

// preset reports whether role's permission presets argument arg of the
// path's step st.
func (m *Merged) preset(role string, st remote.RelationshipStep, arg string) bool {
	for _, ps := range m.Schema.Presets[role] {
		if ps.Type == st.Parent && ps.Field == st.Served && ps.Arg == arg {
			return true
		}
	}
	return false
}

// fieldSDL is the relationship's field definition: the remote field's
// type (renamed, nullable: a null column gives null) and the arguments
// the metadata does not give.
func (m *Merged) fieldSDL(name string, f *ast.FieldDefinition, given map[string]bool) string {
	var b strings.Builder
	b.WriteString("  " + name)
	var args []string
	for _, a := range f.Arguments {
		if given[a.Name] {
			continue
		}
		text := a.Name + ": " + renameType(a.Type, m.c).String()
		if a.DefaultValue != nil {
			text += " = " + a.DefaultValue.String()
		}
		args = append(args, text)
	}
	if len(args) > 0 {
		b.WriteString("(" + strings.Join(args, ", ") + ")")
	}
	t := renameType(f.Type, m.c)
	t.NonNull = false
	b.WriteString(": " + t.String() + "\n")
	return b.String()
}

// columnFits checks that a column of GraphQL scalar col may be passed as
// a value of the remote's type t: the same scalar, or one the remote's
// type accepts (ID any, Float an Int, a custom scalar any, an enum or
// String a String).
func columnFits(col string, t *ast.Type, rs *ast.Schema) error {
	if t.Elem != nil {
		return fmt.Errorf("a column is one value, the argument (%s) a list", t)
	}
	want := t.NamedType
	d := rs.Types[want]
	switch {
	case col == want, want == "ID":
		return nil
	case want == "Float" && col == "Int":
		return nil
	case d != nil && d.Kind == ast.Scalar && !builtinScalar[want]:
		return nil
	case d != nil && d.Kind == ast.Enum && col == "String":
		return nil
	case want == "String" && !builtinScalar[col]:
		return nil // a custom scalar (uuid, date, ...) is a JSON string
	}
	return fmt.Errorf("the column is %s, the argument %s", col, t)
}

// valueText checks v against the remote's type t and returns it as
// GraphQL text; column references are written by column.
func (m *Merged) valueText(v *metadata.RemoteValue, t *ast.Type, column func(string, *ast.Type, metadata.Pos) (string, error), errAt func(metadata.Pos, string, ...any) error) (string, error) {
	rs := m.remote
	if v.Column != "" {
		return column(v.Column, t, v.Pos)
	}
	if !v.IsList && !v.IsObject && v.Scalar == nil {
		if t.NonNull {
			return "", errAt(v.Pos, "null is not a value of %s", t)
		}
		return "null", nil
	}
	if t.Elem != nil {
		if !v.IsList {
			// Input coercion: one value is a list of it.
			return m.valueText(v, t.Elem, column, errAt)
		}
		items := make([]string, len(v.List))
		for i, x := range v.List {
			s, err := m.valueText(x, t.Elem, column, errAt)
			if err != nil {
				return "", err
			}
			items[i] = s
		}
		return "[" + strings.Join(items, ", ") + "]", nil
	}
	d := rs.Types[t.NamedType]
	if d == nil {
		return "", errAt(v.Pos, "type %s is not in the remote schema", t.NamedType)
	}
	if v.IsList {
		return "", errAt(v.Pos, "a list is not a value of %s", t)
	}
	if v.IsObject {
		if d.Kind != ast.InputObject {
			return "", errAt(v.Pos, "an object is not a value of %s", t)
		}
		seen := map[string]bool{}
		var fields []string
		for _, a := range v.Object {
			fd := d.Fields.ForName(a.Name)
			if fd == nil {
				return "", errAt(a.Pos, "field %s is not in input type %s", a.Name, d.Name)
			}
			seen[a.Name] = true
			s, err := m.valueText(a.Value, fd.Type, column, errAt)
			if err != nil {
				return "", err
			}
			fields = append(fields, a.Name+": "+s)
		}
		for _, fd := range d.Fields {
			if fd.Type.NonNull && fd.DefaultValue == nil && !seen[fd.Name] {
				return "", errAt(v.Pos, "field %s of input type %s is required", fd.Name, d.Name)
			}
		}
		return "{" + strings.Join(fields, ", ") + "}", nil
	}
	bad := func() error { return errAt(v.Pos, "%v is not a value of %s", v.Scalar, t) }
	switch x := v.Scalar.(type) {
	case string:
		switch {
		case d.Kind == ast.Enum:
			if d.EnumValues.ForName(x) == nil {
				return "", errAt(v.Pos, "%s is not a value of enum %s", x, d.Name)
			}
			return x, nil
		case d.Kind == ast.Scalar && (t.NamedType == "String" || t.NamedType == "ID" || !builtinScalar[t.NamedType]):
			b, _ := json.Marshal(x)
			return string(b), nil
		}
		return "", bad()
	case json.Number:
		isInt := !strings.ContainsAny(string(x), ".eE")
		switch {
		case t.NamedType == "Int" && isInt, t.NamedType == "Float", t.NamedType == "ID" && isInt,
			d.Kind == ast.Scalar && !builtinScalar[t.NamedType]:
			return string(x), nil
		}
		return "", bad()
	case bool:
		if t.NamedType == "Boolean" || (d.Kind == ast.Scalar && !builtinScalar[t.NamedType]) {
			return fmt.Sprint(x), nil
		}
		return "", bad()
	}
	return "", bad()
}
