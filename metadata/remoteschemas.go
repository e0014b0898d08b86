package metadata

import (
	"fmt"
	"sort"
	"strings"

	yast "github.com/goccy/go-yaml/ast"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// RemoteSchema is a remote schema of remote_schemas.yaml: a GraphQL
// server whose root fields are merged into the schema.
type RemoteSchema struct {
	Name string
	// Pos is where the remote schema is defined.
	Pos        Pos
	Definition remote.Definition
	Comment    string
	// Permissions are the roles' remote schema permissions, sorted by
	// role.
	Permissions []*RemoteSchemaPermission
	// Relationships are the relationships from the remote's types to
	// tables (remote_relationships), in file order.
	Relationships []*RemoteTypeRelationship
}

// RemoteTypeRelationship is a relationship from an object type of a
// remote schema to a table (remote_relationships' to_source): a field of
// the type whose value is the table's rows whose columns equal the
// object's fields.
type RemoteTypeRelationship struct {
	// TypeName is the remote's type (its name in the remote).
	TypeName string
	TypePos  Pos
	Name     string
	// Pos is where the relationship's name is written.
	Pos Pos
	// Source is the database source; Schema and Table the table.
	Source        string
	Schema, Table string
	TablePos      Pos
	// Array is set for relationship_type: array.
	Array bool
	// Mapping pairs the type's fields with the table's columns, in file
	// order.
	Mapping []FieldColumn
	// MappingPos is where field_mapping is written.
	MappingPos Pos
}

// remoteTypeRelationships reads a remote schema's remote_relationships:
// [{type_name, relationships: [{name, definition: {to_source: ...}}]}].
func (l *loader) remoteTypeRelationships(x ynode, ctx string) ([]*RemoteTypeRelationship, bool) {
	if l.isNull(x) {
		return nil, true
	}
	items, ok := l.seq(x, ctx, "remote_relationships")
	if !ok {
		return nil, false
	}
	var out []*RemoteTypeRelationship
	good := true
	for _, it := range items {
		fields, ok := l.mapping(it, ctx, "remote_relationships")
		if !ok {
			good = false
			continue
		}
		var typeName string
		var typePos Pos
		var rels []ynode
		for _, f := range fields {
			switch f.key {
			case "type_name":
				typeName, ok = l.gqlName(f.val, ctx, "type_name")
				typePos = l.deref(f.val).pos()
			case "relationships":
				rels, ok = l.seq(f.val, ctx, "relationships")
			default:
				l.errorf(f.keyPos, ctx, "unknown key %q in remote_relationships", f.key)
				ok = false
			}
			good = good && ok
		}
		if typeName == "" {
			l.errorf(l.deref(it).pos(), ctx, "remote_relationships: type_name is missing")
			good = false
			continue
		}
		for _, rx := range rels {
			r := l.remoteTypeRelationship(rx, fmt.Sprintf("%s: type %s", ctx, typeName))
			if r == nil {
				good = false
				continue
			}
			r.TypeName, r.TypePos = typeName, typePos
			out = append(out, r)
		}
	}
	return out, good
}

func (l *loader) remoteTypeRelationship(x ynode, ctx string) *RemoteTypeRelationship {
	fields, ok := l.mapping(x, ctx, "a relationship")
	if !ok {
		return nil
	}
	r := &RemoteTypeRelationship{Pos: l.deref(x).pos()}
	var def *ynode
	for _, f := range fields {
		switch f.key {
		case "name":
			if r.Name, ok = l.gqlName(f.val, ctx, "name"); !ok {
				return nil
			}
			r.Pos = l.deref(f.val).pos()
		case "definition":
			v := f.val
			def = &v
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q in a relationship", f.key)
			return nil
		}
	}
	if r.Name == "" || def == nil {
		l.errorf(r.Pos, ctx, "a relationship needs name and definition")
		return nil
	}
	ctx = fmt.Sprintf("%s relationship %q", ctx, r.Name)
	dfields, ok := l.mapping(*def, ctx, "definition")
	if !ok {
		return nil
	}
	var src []field
	for _, f := range dfields {
		switch f.key {
		case "to_source":
			if src, ok = l.mapping(f.val, ctx, "to_source"); !ok {
				return nil
			}
		case "to_remote_schema":
			l.unsupportedf(f.keyPos, ctx, "to_remote_schema (a relationship from a remote schema to a remote schema)")
			return nil
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q in a relationship's definition", f.key)
			return nil
		}
	}
	if src == nil {
		l.errorf(l.deref(*def).pos(), ctx, "definition needs to_source")
		return nil
	}
	kind := ""
	for _, f := range src {
		switch f.key {
		case "source":
			r.Source, ok = l.name(f.val, ctx, "source")
		case "table":
			r.TablePos = l.deref(f.val).pos()
			r.Schema, r.Table, ok = l.tableName(f.val, ctx)
		case "relationship_type":
			kind, ok = l.name(f.val, ctx, "relationship_type")
			if ok && kind != "object" && kind != "array" {
				l.errorf(l.deref(f.val).pos(), ctx, "relationship_type must be object or array, not %q", kind)
				ok = false
			}
			r.Array = kind == "array"
		case "field_mapping":
			r.MappingPos = l.deref(f.val).pos()
			var pairs []field
			if pairs, ok = l.mapping(f.val, ctx, "field_mapping"); ok {
				for _, p := range pairs {
					c, cok := l.name(p.val, ctx, "field_mapping."+p.key)
					if !cok {
						return nil
					}
					r.Mapping = append(r.Mapping, FieldColumn{Field: p.key, Column: c})
				}
			}
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q in to_source", f.key)
			ok = false
		}
		if !ok {
			return nil
		}
	}
	if r.Table == "" || kind == "" || len(r.Mapping) == 0 {
		l.errorf(l.deref(*def).pos(), ctx, "to_source needs table, relationship_type and field_mapping")
		return nil
	}
	return r
}

// tableName reads {schema, name} (schema defaults to public) or a plain
// name.
func (l *loader) tableName(x ynode, ctx string) (schema, name string, ok bool) {
	if isString(l.deref(x)) {
		name, ok = l.name(x, ctx, "table")
		return "public", name, ok
	}
	fields, ok := l.mapping(x, ctx, "table")
	if !ok {
		return "", "", false
	}
	schema = "public"
	for _, f := range fields {
		switch f.key {
		case "schema":
			schema, ok = l.name(f.val, ctx, "table schema")
		case "name":
			name, ok = l.name(f.val, ctx, "table name")
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q in table", f.key)
			ok = false
		}
		if !ok {
			return "", "", false
		}
	}
	if name == "" {
		l.errorf(l.deref(x).pos(), ctx, "table has no name")
		return "", "", false
	}
	return schema, name, true
}

// RemoteSchemaPermission is what a role may use of a remote schema: a
// schema document that is a subset of the remote's (its own type names),
// whose arguments may carry @preset(value: ...).
type RemoteSchemaPermission struct {
	Role string
	// Schema is the permission's SDL, parsed: Doc.
	Schema string
	Doc    *ast.SchemaDocument
	// Pos is where the schema's text starts: its line 1 is Pos.Line (or
	// the next line, for a block scalar; At maps it).
	Pos Pos
	// block is set when the SDL is a YAML block scalar (|), whose first
	// line is the line after Pos.
	block bool
}

// At is the position in the metadata of a position in the permission's
// SDL (1-based line and column).
func (p *RemoteSchemaPermission) At(line, col int) Pos {
	if p.block {
		return Pos{File: p.Pos.File, Line: p.Pos.Line + line, Col: col}
	}
	if line <= 1 {
		return Pos{File: p.Pos.File, Line: p.Pos.Line, Col: p.Pos.Col + col - 1}
	}
	return Pos{File: p.Pos.File, Line: p.Pos.Line + line - 1, Col: col}
}

// remoteSchemas reads remote_schemas.yaml (or an export's remote_schemas
// key): a list of remote schemas, sorted by name.
func (l *loader) remoteSchemas(m *Metadata, x ynode) {
	if l.isNull(x) {
		return
	}
	items, ok := l.seq(x, "remote_schemas", "remote_schemas")
	if !ok {
		return
	}
	seen := map[string]Pos{}
	for _, it := range items {
		r := l.remoteSchema(it)
		if r == nil {
			continue
		}
		if first, dup := seen[r.Name]; dup {
			l.errorf(r.Pos, fmt.Sprintf("remote schema %q", r.Name), "a remote schema of this name is already defined at %s", first)
			continue
		}
		seen[r.Name] = r.Pos
		m.RemoteSchemas = append(m.RemoteSchemas, r)
	}
	sort.Slice(m.RemoteSchemas, func(i, j int) bool { return m.RemoteSchemas[i].Name < m.RemoteSchemas[j].Name })
}

// remoteSchema reads one remote schema; nil when it has problems, which
// are reported.
func (l *loader) remoteSchema(x ynode) *RemoteSchema {
	ctx := "remote_schemas"
	fields, ok := l.mapping(x, ctx, "a remote schema")
	if !ok {
		return nil
	}
	at := l.deref(x).pos()
	name, namePos, ok := l.triggerName(fields, at, ctx, "remote schema")
	if !ok {
		return nil
	}
	ctx = fmt.Sprintf("remote schema %q", name)
	r := &RemoteSchema{Name: name, Pos: namePos}
	good, hasDef := true, false
	for _, f := range fields {
		ok := true
		switch f.key {
		case "name":
		case "definition":
			hasDef = true
			ok = l.remoteDefinition(&r.Definition, f.val, ctx)
		case "comment":
			if !l.isNull(f.val) {
				r.Comment, ok = l.str(f.val, ctx, "comment")
			}
		case "permissions":
			r.Permissions, ok = l.remotePermissions(f.val, ctx)
		case "remote_relationships":
			r.Relationships, ok = l.remoteTypeRelationships(f.val, ctx)
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q", f.key)
			ok = false
		}
		good = good && ok
	}
	if !hasDef {
		l.errorf(at, ctx, "definition is missing")
		return nil
	}
	if !good {
		return nil
	}
	return r
}

// remoteDefinition reads a remote schema's definition.
func (l *loader) remoteDefinition(d *remote.Definition, x ynode, ctx string) bool {
	fields, ok := l.mapping(x, ctx, "definition")
	if !ok {
		return false
	}
	at := l.deref(x).pos()
	good := true
	urls := 0
	for _, f := range fields {
		ok := true
		switch f.key {
		case "url":
			d.URL, ok = l.name(f.val, ctx, "url")
			urls++
		case "url_from_env":
			d.URLFromEnv, ok = l.name(f.val, ctx, "url_from_env")
			urls++
		case "headers":
			d.Headers, ok = l.headers(f.val, ctx)
		case "forward_client_headers":
			if !l.isNull(f.val) {
				d.ForwardClientHeaders, ok = l.boolean(f.val, ctx, "forward_client_headers")
			}
		case "timeout_seconds":
			if !l.isNull(f.val) {
				d.TimeoutSeconds, ok = l.count(f.val, ctx, "timeout_seconds")
			}
		case "customization":
			if !l.isNull(f.val) {
				d.Customization, ok = l.remoteCustomization(f.val, ctx+" customization")
			}
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q in definition", f.key)
			ok = false
		}
		good = good && ok
	}
	if urls != 1 && good {
		l.errorf(at, ctx, "definition must have one of url and url_from_env")
		good = false
	}
	return good
}

// remoteCustomization reads a definition's customization.
func (l *loader) remoteCustomization(x ynode, ctx string) (*remote.Customization, bool) {
	fields, ok := l.mapping(x, ctx, "customization")
	if !ok {
		return nil, false
	}
	c := &remote.Customization{}
	good := true
	for _, f := range fields {
		ok := true
		switch f.key {
		case "root_fields_namespace":
			if !l.isNull(f.val) {
				c.RootFieldsNamespace, ok = l.gqlName(f.val, ctx, "root_fields_namespace")
			}
		case "type_names":
			if l.isNull(f.val) {
				continue
			}
			var t remote.TypeNames
			t.Prefix, t.Suffix, t.Mapping, ok = l.renames(f.val, ctx+".type_names", nil)
			c.TypeNames = &t
		case "field_names":
			if l.isNull(f.val) {
				continue
			}
			items, sok := l.seq(f.val, ctx, "field_names")
			ok = sok
			for _, it := range items {
				fn := &remote.FieldNames{}
				var iok bool
				fn.Prefix, fn.Suffix, fn.Mapping, iok = l.renames(it, ctx+".field_names", &fn.ParentType)
				if fn.ParentType == "" && iok {
					l.errorf(l.deref(it).pos(), ctx, "field_names: parent_type is missing")
					iok = false
				}
				ok = ok && iok
				c.FieldNames = append(c.FieldNames, fn)
			}
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q", f.key)
			ok = false
		}
		good = good && ok
	}
	return c, good
}

// renames reads {prefix, suffix, mapping} (and parent_type into parent
// when it is not nil).
func (l *loader) renames(x ynode, ctx string, parent *string) (prefix, suffix string, mapping map[string]string, good bool) {
	fields, ok := l.mapping(x, ctx, ctx)
	if !ok {
		return "", "", nil, false
	}
	good = true
	for _, f := range fields {
		ok := true
		switch {
		case f.key == "prefix" || f.key == "suffix":
			if l.isNull(f.val) {
				continue
			}
			var s string
			s, ok = l.gqlName(f.val, ctx, f.key)
			if f.key == "prefix" {
				prefix = s
			} else {
				suffix = s
			}
		case f.key == "parent_type" && parent != nil:
			*parent, ok = l.gqlName(f.val, ctx, "parent_type")
		case f.key == "mapping":
			if l.isNull(f.val) {
				continue
			}
			var kv []field
			kv, ok = l.mapping(f.val, ctx, "mapping")
			for _, e := range kv {
				v, vok := l.gqlName(e.val, ctx, "mapping of "+e.key)
				if vok {
					if mapping == nil {
						mapping = map[string]string{}
					}
					mapping[e.key] = v
				}
				ok = ok && vok
			}
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q", f.key)
			ok = false
		}
		good = good && ok
	}
	return prefix, suffix, mapping, good
}

// gqlName returns the string x, which must be a GraphQL name.
func (l *loader) gqlName(x ynode, ctx, what string) (string, bool) {
	s, ok := l.name(x, ctx, what)
	if ok && !graphQLName.MatchString(s) {
		l.errorf(l.deref(x).pos(), ctx, "%s %q is not a GraphQL name", what, s)
		return "", false
	}
	return s, ok
}

// remotePermissions reads [{role, definition: {schema}}], sorted by role.
func (l *loader) remotePermissions(x ynode, ctx string) ([]*RemoteSchemaPermission, bool) {
	if l.isNull(x) {
		return nil, true
	}
	items, ok := l.seq(x, ctx, "permissions")
	if !ok {
		return nil, false
	}
	var out []*RemoteSchemaPermission
	good := true
	seen := map[string]bool{}
	for _, it := range items {
		p := l.remotePermission(it, ctx)
		if p == nil {
			good = false
			continue
		}
		if seen[p.Role] {
			l.errorf(l.deref(it).pos(), ctx, "role %q has two permissions", p.Role)
			good = false
			continue
		}
		seen[p.Role] = true
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Role < out[j].Role })
	return out, good
}

func (l *loader) remotePermission(x ynode, ctx string) *RemoteSchemaPermission {
	fields, ok := l.mapping(x, ctx, "a permission")
	if !ok {
		return nil
	}
	p := &RemoteSchemaPermission{}
	good, hasSchema := true, false
	for _, f := range fields {
		ok := true
		switch f.key {
		case "role":
			p.Role, ok = l.name(f.val, ctx, "role")
		case "comment":
			if !l.isNull(f.val) {
				_, ok = l.str(f.val, ctx, "comment")
			}
		case "definition":
			var def []field
			def, ok = l.mapping(f.val, ctx, "permission definition")
			for _, d := range def {
				if d.key != "schema" {
					l.errorf(d.keyPos, ctx, "unknown key %q in a permission's definition", d.key)
					ok = false
					continue
				}
				hasSchema = true
				dv := l.deref(d.val)
				p.Pos = dv.pos()
				_, p.block = dv.n.(*yast.LiteralNode)
				var sok bool
				p.Schema, sok = l.name(d.val, ctx, "schema")
				ok = ok && sok
			}
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q in a permission", f.key)
			ok = false
		}
		good = good && ok
	}
	at := l.deref(x).pos()
	if p.Role == "" && good {
		l.errorf(at, ctx, "a permission has no role")
		return nil
	}
	pctx := fmt.Sprintf("%s: permission for role %q", ctx, p.Role)
	if !hasSchema && good {
		l.errorf(at, pctx, "definition.schema is missing")
		return nil
	}
	if !good {
		return nil
	}
	doc, err := parser.ParseSchema(&ast.Source{Name: "permission", Input: p.Schema})
	if err != nil {
		pos := p.Pos
		msg := err.Error()
		if ge, ok := err.(*gqlerror.Error); ok {
			msg = ge.Message
			if len(ge.Locations) > 0 {
				pos = p.At(ge.Locations[0].Line, ge.Locations[0].Column)
			}
		}
		l.errorf(pos, pctx, "schema: %s", strings.TrimSpace(msg))
		return nil
	}
	p.Doc = doc
	return p
}

// RemoteRelationship is a table's remote relationship to a remote schema
// (remote_relationships in tables.yaml, either of Hasura's formats): a
// field of the table's type whose value is a remote field, called with
// arguments that may reference the row's columns.
type RemoteRelationship struct {
	Name string
	// Pos is where the relationship's name is written.
	Pos Pos
	// RemoteSchema names the remote schema; SchemaPos is where.
	RemoteSchema string
	SchemaPos    Pos
	// LHSFields are the columns the remote call needs (lhs_fields, or
	// hasura_fields in the old format), in file order.
	LHSFields []string
	// RemoteField is the path from the remote's query root to the field
	// the relationship gives: the root field first.
	RemoteField []*RemoteFieldStep
}

// RemoteFieldStep is one field of a remote relationship's remote_field
// path, with its arguments.
type RemoteFieldStep struct {
	Name      string
	Pos       Pos
	Arguments []*RemoteArgument
}

// RemoteArgument is an argument of a remote field or a field of an input
// object: a name and a value.
type RemoteArgument struct {
	Name  string
	Pos   Pos
	Value *RemoteValue
}

// RemoteValue is a value of a remote relationship's argument: a column
// reference ("$column"), a scalar literal (string, json.Number, bool or
// nil), a list or an input object.
type RemoteValue struct {
	Pos Pos
	// Column is set for a "$column" reference.
	Column string
	// Scalar holds a scalar literal when neither List nor Object is set.
	Scalar any
	// IsList and IsObject say which of List and Object holds the value.
	IsList, IsObject bool
	List             []*RemoteValue
	Object           []*RemoteArgument
}

// remoteRelationships reads a table's remote_relationships.
func (v *validator) remoteRelationships(t *Table, x ynode) {
	ctx := "table " + t.QualifiedName() + " remote_relationships"
	if v.isNull(x) {
		return
	}
	items, ok := v.seq(x, ctx, "remote_relationships")
	if !ok {
		return
	}
	for _, it := range items {
		if r := v.remoteRelationship(t, it, ctx); r != nil {
			t.RemoteRelationships = append(t.RemoteRelationships, r)
		}
	}
}

func (v *validator) remoteRelationship(t *Table, x ynode, ctx string) *RemoteRelationship {
	fields, ok := v.mapping(x, ctx, "a remote relationship")
	if !ok {
		return nil
	}
	at := v.deref(x).pos()
	r := &RemoteRelationship{Pos: at}
	var def *field
	for i, f := range fields {
		switch f.key {
		case "name":
			r.Name = v.graphQLName(f.val, ctx, "name")
			r.Pos = v.deref(f.val).pos()
		case "definition":
			def = &fields[i]
		case "comment":
			if !v.isNull(f.val) {
				v.str(f.val, ctx, "comment")
			}
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q in a remote relationship", f.key)
			return nil
		}
	}
	if r.Name == "" {
		v.errorf(at, ctx, "a remote relationship has no name")
		return nil
	}
	ctx = fmt.Sprintf("table %s remote relationship %q", t.QualifiedName(), r.Name)
	if def == nil {
		v.errorf(at, ctx, "definition is missing")
		return nil
	}
	dfields, ok := v.mapping(def.val, ctx, "definition")
	if !ok {
		return nil
	}
	// The new format nests the old one's keys under to_remote_schema
	// (lhs_fields for hasura_fields); to_source is DB-to-DB.
	if len(dfields) == 1 {
		switch dfields[0].key {
		case "to_remote_schema":
			if dfields, ok = v.mapping(dfields[0].val, ctx, "to_remote_schema"); !ok {
				return nil
			}
		case "to_source":
			v.unsupportedf(dfields[0].keyPos, ctx, "to_source (a relationship to another database)")
			return nil
		}
	}
	good := true
	var hasFields, hasRemote bool
	for _, f := range dfields {
		switch f.key {
		case "remote_schema":
			r.RemoteSchema, ok = v.name(f.val, ctx, "remote_schema")
			r.SchemaPos = v.deref(f.val).pos()
		case "lhs_fields", "hasura_fields":
			hasFields = true
			ok = v.lhsFields(t, r, f.val, ctx)
		case "remote_field":
			hasRemote = true
			r.RemoteField, ok = v.remoteFieldPath(f.val, ctx)
		case "to_source":
			v.unsupportedf(f.keyPos, ctx, "to_source (a relationship to another database)")
			return nil
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q in a remote relationship's definition", f.key)
			ok = false
		}
		good = good && ok
	}
	if !good {
		return nil
	}
	if r.RemoteSchema == "" || !hasFields || !hasRemote {
		v.errorf(v.deref(def.val).pos(), ctx, "a remote relationship to a remote schema needs remote_schema, lhs_fields and remote_field")
		return nil
	}
	lhs := map[string]bool{}
	for _, c := range r.LHSFields {
		lhs[c] = true
	}
	for _, s := range r.RemoteField {
		for _, a := range s.Arguments {
			if !v.columnRefs(a.Value, lhs, ctx) {
				return nil
			}
		}
	}
	return r
}

// isComputed reports whether name is a computed field of t.
func isComputed(t *Table, name string) bool {
	for _, cf := range t.ComputedFields {
		if cf.Name == name {
			return true
		}
	}
	return false
}

// Columns are the columns rv references, in order (once each).
func (rv *RemoteValue) Columns() []string {
	set := map[string]bool{}
	var out []string
	rv.walkColumns(func(c string) {
		if !set[c] {
			set[c] = true
			out = append(out, c)
		}
	})
	return out
}

// walkColumns calls f with each column rv references.
func (rv *RemoteValue) walkColumns(f func(string)) {
	if rv.Column != "" {
		f(rv.Column)
	}
	for _, x := range rv.List {
		x.walkColumns(f)
	}
	for _, a := range rv.Object {
		a.Value.walkColumns(f)
	}
}

// columnRefs checks that every column rv references is an lhs field.
func (v *validator) columnRefs(rv *RemoteValue, lhs map[string]bool, ctx string) bool {
	if rv.Column != "" && !lhs[rv.Column] {
		v.errorf(rv.Pos, ctx, "$%s is not one of lhs_fields", rv.Column)
		return false
	}
	for _, x := range rv.List {
		if !v.columnRefs(x, lhs, ctx) {
			return false
		}
	}
	for _, a := range rv.Object {
		if !v.columnRefs(a.Value, lhs, ctx) {
			return false
		}
	}
	return true
}

// lhsFields reads the columns of a remote relationship.
func (v *validator) lhsFields(t *Table, r *RemoteRelationship, x ynode, ctx string) bool {
	items, ok := v.seq(x, ctx, "lhs_fields")
	if !ok {
		return false
	}
	for _, it := range items {
		c, ok := v.name(it, ctx, "an lhs field")
		if !ok {
			return false
		}
		if t.def.Column(c) == nil {
			if isComputed(t, c) {
				v.unsupportedf(v.deref(it).pos(), ctx, "computed field %q as an lhs field", c)
			} else {
				v.errorf(v.deref(it).pos(), ctx, "column %q is not in %s", c, t.QualifiedName())
			}
			return false
		}
		r.LHSFields = append(r.LHSFields, c)
	}
	if len(r.LHSFields) == 0 {
		v.errorf(v.deref(x).pos(), ctx, "lhs_fields is empty")
		return false
	}
	return true
}

// remoteFieldPath reads remote_field: {name: {arguments, field: {...}}},
// one field per level.
func (v *validator) remoteFieldPath(x ynode, ctx string) ([]*RemoteFieldStep, bool) {
	var out []*RemoteFieldStep
	for depth := 0; ; depth++ {
		fields, ok := v.mapping(x, ctx, "remote_field")
		if !ok {
			return nil, false
		}
		if len(fields) != 1 {
			v.errorf(v.deref(x).pos(), ctx, "remote_field must name one field")
			return nil, false
		}
		if depth > 20 {
			v.errorf(fields[0].keyPos, ctx, "remote_field is nested too deeply")
			return nil, false
		}
		s := &RemoteFieldStep{Name: fields[0].key, Pos: fields[0].keyPos}
		out = append(out, s)
		body, ok := v.mapping(fields[0].val, ctx, "remote field "+s.Name)
		if !ok {
			return nil, false
		}
		var next *ynode
		for _, f := range body {
			switch f.key {
			case "arguments":
				if v.isNull(f.val) {
					continue
				}
				args, ok := v.mapping(f.val, ctx, "arguments")
				if !ok {
					return nil, false
				}
				for _, a := range args {
					val, ok := v.remoteValue(a.val, ctx, 0)
					if !ok {
						return nil, false
					}
					s.Arguments = append(s.Arguments, &RemoteArgument{Name: a.key, Pos: a.keyPos, Value: val})
				}
			case "field":
				n := f.val
				next = &n
			default:
				v.errorf(f.keyPos, ctx, "unknown key %q in remote field %s", f.key, s.Name)
				return nil, false
			}
		}
		if next == nil {
			return out, true
		}
		x = *next
	}
}

// remoteValue reads an argument's value: "$column" strings reference
// columns.
func (v *validator) remoteValue(x ynode, ctx string, depth int) (*RemoteValue, bool) {
	d := v.deref(x)
	if d.bad {
		return nil, false
	}
	rv := &RemoteValue{Pos: d.pos()}
	if depth > 50 {
		v.errorf(rv.Pos, ctx, "the value is nested too deeply")
		return nil, false
	}
	switch {
	case isMapping(d):
		fields, ok := v.mapping(d, ctx, "an input object")
		if !ok {
			return nil, false
		}
		rv.IsObject = true
		for _, f := range fields {
			val, ok := v.remoteValue(f.val, ctx, depth+1)
			if !ok {
				return nil, false
			}
			rv.Object = append(rv.Object, &RemoteArgument{Name: f.key, Pos: f.keyPos, Value: val})
		}
	case isList(d):
		items, _ := v.seq(d, ctx, "a list")
		rv.IsList = true
		rv.List = []*RemoteValue{}
		for _, it := range items {
			val, ok := v.remoteValue(it, ctx, depth+1)
			if !ok {
				return nil, false
			}
			rv.List = append(rv.List, val)
		}
	default:
		lit, ok := v.literal(d, ctx, depth)
		if !ok {
			return nil, false
		}
		if s, isStr := lit.(string); isStr && strings.HasPrefix(s, "$") {
			rv.Column = s[1:]
			return rv, true
		}
		rv.Scalar = lit
	}
	return rv, true
}

// checkRemoteRelationships checks that the remote schemas the tables'
// remote relationships name exist, and that the tables and columns the
// remote schemas' relationships name do.
func (l *loader) checkRemoteRelationships(m *Metadata) {
	known := map[string]bool{}
	tables := map[string]*Table{}
	for _, t := range m.Tables {
		tables[t.Schema+"."+t.Name] = t
	}
	for _, r := range m.RemoteSchemas {
		known[r.Name] = true
		for _, rel := range r.Relationships {
			ctx := fmt.Sprintf("remote schema %q: type %s relationship %q", r.Name, rel.TypeName, rel.Name)
			t := tables[rel.Schema+"."+rel.Table]
			if t == nil || t.def == nil {
				l.errorf(rel.TablePos, ctx, "table %s.%s is not tracked", rel.Schema, rel.Table)
				continue
			}
			for _, fc := range rel.Mapping {
				if t.def.Column(fc.Column) == nil {
					l.errorf(rel.MappingPos, ctx, "column %q is not in %s", fc.Column, t.QualifiedName())
				}
			}
		}
	}
	for _, t := range m.Tables {
		for _, r := range t.RemoteRelationships {
			if !known[r.RemoteSchema] {
				l.errorf(r.SchemaPos, fmt.Sprintf("table %s remote relationship %q", t.QualifiedName(), r.Name), "remote schema %q is not defined (remote_schemas.yaml)", r.RemoteSchema)
			}
		}
	}
}
