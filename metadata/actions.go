package metadata

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/hasgen/hasgen/runtime/actions"
)

// This file reads Hasura's actions: actions.graphql (the custom types and
// the action fields under type Query and type Mutation) and actions.yaml
// (each action's handler, headers, timeout, transform and permissions, and
// custom_types). Synchronous and asynchronous actions are served;
// response transforms and relationships of nested types are reported as
// unsupported, item by item. An action whose handler is "go" is served
// only by its Go handler, and may return a tracked table's type.

// Action is one action of the metadata, served by runtime/actions.
type Action struct {
	// Action is what the server reads (schema/actions.jsonc).
	actions.Action
	// Pos is where actions.yaml names the action.
	Pos Pos
	// Comment is the description of the root field.
	Comment string
	// Roles are the roles besides admin that see the action, sorted.
	Roles []string
	// Args are the field's arguments, in actions.graphql's order.
	Args []*CustomField
	// Description is the field's description in actions.graphql, which
	// Comment replaces when set.
	Description string
	// kindPos is where the definition says kind: asynchronous.
	kindPos Pos
	// OutputTable, set for an action whose handler is go only, is the
	// GraphQL type its output type names when that is no custom type: a
	// tracked table's type (model resolves it), whose rows the Go
	// handler returns by primary key. OutputPos is where the action's
	// field is in actions.graphql.
	OutputTable string
	OutputPos   Pos
}

// CustomType is a type of actions.graphql: a scalar, an enum, an input
// object or an object.
type CustomType struct {
	// Kind is "scalar", "enum", "input" or "type".
	Kind        string
	Name        string
	Description string
	// Fields are an object's or input object's fields, in file order.
	Fields []*CustomField
	// Values are an enum's values, in file order.
	Values []*CustomField
	// Relationships are an object type's relationships to tables, in
	// file order.
	Relationships []*ActionRelationship
}

// ActionRelationship is a relationship of an action's output object type
// to a tracked table: the rows whose columns equal the object's fields.
type ActionRelationship struct {
	Name string
	// Array is set for type: array (a list of rows), else one row or null.
	Array bool
	Table *Table
	// Mapping pairs each field of the object with a column of Table, in
	// field_mapping's order.
	Mapping []FieldColumn
}

// FieldColumn is one pair of a relationship's field_mapping.
type FieldColumn struct{ Field, Column string }

// CustomField is a field of a custom type, an argument of an action, or an
// enum value (Type empty).
type CustomField struct {
	Name        string
	Type        string
	Description string
	// Default is an argument's or input field's default, as written in
	// SDL; empty for none.
	Default string
}

// graphqlName is a GraphQL name.
var graphqlName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)

// builtinScalars are GraphQL's scalars.
var builtinScalars = map[string]bool{"Int": true, "Float": true, "String": true, "Boolean": true, "ID": true}

// actionDef is an action field of actions.graphql.
type actionDef struct {
	field    *ast.FieldDefinition
	mutation bool
	pos      Pos
	// tableOutput is the output's named type when no custom type or
	// scalar has that name: a table's type, for a Go-only action.
	tableOutput string
}

// actionsFile reads actions.yaml's {actions, custom_types} together with
// actions.graphql (graphqlFile), into m.Actions and m.CustomTypes.
func (l *loader) actionsFile(m *Metadata, acts, types *field, graphqlFile string) {
	l.actionsRead = true
	defs, typeList, ok := l.actionsGraphQLDefs(graphqlFile)
	if !ok {
		return
	}
	typeByName := map[string]*CustomType{}
	for _, t := range typeList {
		typeByName[t.Name] = t
	}
	if types != nil {
		l.customTypes(m, types, typeByName, graphqlFile)
	}
	used := map[string]bool{}
	if acts != nil && !l.isNull(acts.val) {
		items, _ := l.seq(acts.val, "actions.yaml", "actions")
		for _, it := range items {
			a := l.action(it, defs, typeByName)
			if a == nil {
				continue
			}
			if used[a.Name] {
				l.errorf(a.Pos, "actions.yaml", "action %q is defined twice", a.Name)
				continue
			}
			used[a.Name] = true
			m.Actions = append(m.Actions, a)
		}
	}
	names := make([]string, 0, len(defs))
	for n := range defs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !used[n] && !l.actionNamed(acts, n) {
			l.errorf(defs[n].pos, "actions.graphql", "action %q has no entry in actions.yaml", n)
		}
	}
	sort.Slice(m.Actions, func(i, j int) bool { return m.Actions[i].Name < m.Actions[j].Name })
	// Relationships are served on an action's output type itself, not on
	// a type nested in another.
	for _, t := range typeList {
		if len(t.Relationships) == 0 {
			continue
		}
		for _, o := range typeList {
			for _, f := range o.Fields {
				if o.Kind == "type" && strings.Trim(f.Type, "[]!") == t.Name {
					for _, r := range t.Relationships {
						l.unsupportedf(Pos{File: graphqlFile}, fmt.Sprintf("custom type %q", t.Name), "relationships %q (of a type nested in %s)", r.Name, o.Name)
					}
					t.Relationships = nil
				}
			}
		}
	}
	m.CustomTypes = typeList
}

// actionNamed reports whether actions.yaml lists an action named n (an
// entry reported for another reason, or unsupported).
func (l *loader) actionNamed(acts *field, n string) bool {
	if acts == nil {
		return false
	}
	items, ok := l.seqQuiet(acts.val)
	if !ok {
		return false
	}
	for _, it := range items {
		if l.itemName(it) == n {
			return true
		}
	}
	return false
}

// actionsGraphQLDefs parses actions.graphql: the action fields by name,
// and the custom types in file order. A missing file defines nothing.
func (l *loader) actionsGraphQLDefs(name string) (map[string]*actionDef, []*CustomType, bool) {
	defs := map[string]*actionDef{}
	b, err := l.fs.read(name)
	if err != nil {
		return defs, nil, true
	}
	doc, err := parser.ParseSchema(&ast.Source{Name: name, Input: string(b)})
	if err != nil {
		var ge *gqlerror.Error
		p := Pos{File: name}
		msg := err.Error()
		if errors.As(err, &ge) {
			msg = ge.Message
			if len(ge.Locations) > 0 {
				p.Line, p.Col = ge.Locations[0].Line, ge.Locations[0].Column
			}
		}
		l.errorf(p, "actions.graphql", "%s", msg)
		return nil, nil, false
	}
	pos := func(p *ast.Position) Pos {
		if p == nil {
			return Pos{File: name}
		}
		return Pos{File: name, Line: p.Line, Col: p.Column}
	}
	if len(doc.Schema) > 0 || len(doc.SchemaExtension) > 0 || len(doc.Directives) > 0 {
		l.errorf(pos(firstPos(doc)), "actions.graphql", "only type, input, enum and scalar definitions belong here")
	}
	var types []*CustomType
	seen := map[string]Pos{}
	for _, d := range append(append(ast.DefinitionList{}, doc.Definitions...), doc.Extensions...) {
		at := pos(d.Position)
		if d.Name == "Query" || d.Name == "Mutation" {
			if d.Kind != ast.Object {
				l.errorf(at, "actions.graphql", "%s must be an object type holding actions", d.Name)
				continue
			}
			for _, f := range d.Fields {
				fp := pos(f.Position)
				if old, dup := defs[f.Name]; dup {
					l.errorf(fp, "actions.graphql", "action %q is already defined at %s", f.Name, old.pos)
					continue
				}
				defs[f.Name] = &actionDef{field: f, mutation: d.Name == "Mutation", pos: fp}
			}
			continue
		}
		if old, dup := seen[d.Name]; dup {
			l.errorf(at, "actions.graphql", "type %q is already defined at %s", d.Name, old)
			continue
		}
		seen[d.Name] = at
		if len(d.Directives) > 0 || len(d.Interfaces) > 0 {
			l.errorf(at, "actions.graphql", "type %s: directives and interfaces are not supported in custom types", d.Name)
		}
		t := &CustomType{Name: d.Name, Description: d.Description}
		switch d.Kind {
		case ast.Scalar:
			t.Kind = "scalar"
		case ast.Enum:
			t.Kind = "enum"
			for _, v := range d.EnumValues {
				t.Values = append(t.Values, &CustomField{Name: v.Name, Description: v.Description})
			}
		case ast.InputObject:
			t.Kind = "input"
		case ast.Object:
			t.Kind = "type"
		default:
			l.errorf(at, "actions.graphql", "type %s: a %s cannot be a custom type (scalar, enum, input or type)", d.Name, strings.ToLower(string(d.Kind)))
			continue
		}
		for _, f := range d.Fields {
			if len(f.Arguments) > 0 {
				l.errorf(pos(f.Position), "actions.graphql", "type %s: field %q: fields of custom types take no arguments", d.Name, f.Name)
			}
			t.Fields = append(t.Fields, &CustomField{Name: f.Name, Type: f.Type.String(), Description: f.Description, Default: defaultString(f.DefaultValue)})
		}
		types = append(types, t)
	}
	// Every type reference names a type of the right kind.
	kinds := map[string]string{}
	for _, t := range types {
		kinds[t.Name] = t.Kind
	}
	check := func(at Pos, ctx, typ string, input bool) {
		named := strings.Trim(typ, "[]!")
		k, ok := kinds[named]
		switch {
		case builtinScalars[named] || (!ok && pgScalar(named)):
		case !ok:
			l.errorf(at, "actions.graphql", "%s: type %q is not defined", ctx, named)
		case input && k == "type":
			l.errorf(at, "actions.graphql", "%s: %s is an object type, and an input takes a scalar, an enum or an input type", ctx, named)
		case !input && k == "input":
			l.errorf(at, "actions.graphql", "%s: %s is an input type, and an output takes a scalar, an enum or an object type", ctx, named)
		}
	}
	for _, d := range doc.Definitions {
		if d.Kind != ast.Object && d.Kind != ast.InputObject || d.Name == "Query" || d.Name == "Mutation" {
			continue
		}
		for _, f := range d.Fields {
			check(pos(f.Position), fmt.Sprintf("type %s: field %q", d.Name, f.Name), f.Type.String(), d.Kind == ast.InputObject)
		}
	}
	for n, a := range defs {
		for _, arg := range a.field.Arguments {
			check(pos(arg.Position), fmt.Sprintf("action %q: argument %q", n, arg.Name), arg.Type.String(), true)
		}
		if out := a.field.Type.Name(); kinds[out] == "" && !builtinScalars[out] && !pgScalar(out) {
			a.tableOutput = out // action() decides
			continue
		}
		check(a.pos, fmt.Sprintf("action %q: output", n), a.field.Type.String(), false)
	}
	return defs, types, true
}

// firstPos is the position of a document's first schema definition or
// directive.
func firstPos(doc *ast.SchemaDocument) *ast.Position {
	for _, s := range append(doc.Schema, doc.SchemaExtension...) {
		return s.Position
	}
	for _, d := range doc.Directives {
		return d.Position
	}
	return nil
}

func defaultString(v *ast.Value) string {
	if v == nil {
		return ""
	}
	return v.String()
}

// pgScalar reports whether name is a Postgres scalar that Hasura's schema
// names as such (uuid, jsonb, timestamptz...): action types may use them.
func pgScalar(name string) bool {
	switch name {
	case "uuid", "json", "jsonb", "timestamptz", "timestamp", "timetz", "time", "date", "numeric",
		"bigint", "smallint", "float8", "float4", "bpchar", "citext", "bytea", "inet", "interval", "money", "ltree":
		return true
	}
	return false
}

// customTypes reads actions.yaml's custom_types: the names it lists must
// be defined by actions.graphql; object relationships are reported as not
// served.
func (l *loader) customTypes(m *Metadata, types *field, byName map[string]*CustomType, graphqlFile string) {
	if l.isNull(types.val) {
		return
	}
	fields, ok := l.mapping(types.val, "actions.yaml", "custom_types")
	if !ok {
		return
	}
	want := map[string]string{"scalars": "scalar", "enums": "enum", "input_objects": "input", "objects": "type"}
	for _, f := range fields {
		kind, known := want[f.key]
		if !known {
			l.errorf(f.keyPos, "actions.yaml custom_types", "unknown key %q", f.key)
			continue
		}
		if l.isNull(f.val) {
			continue
		}
		items, ok := l.seq(f.val, "actions.yaml custom_types", f.key)
		if !ok {
			continue
		}
		for _, it := range items {
			ctx := "actions.yaml custom_types." + f.key
			entry, ok := l.mapping(it, ctx, "an entry")
			if !ok {
				continue
			}
			name := ""
			var rels *field
			for i, e := range entry {
				switch e.key {
				case "name":
					name, _ = l.name(e.val, ctx, "name")
				case "description", "fields", "values":
					// actions.graphql holds the definition.
				case "relationships":
					if kind != "type" {
						l.errorf(e.keyPos, ctx, "only objects have relationships")
					}
					rels = &entry[i]
				default:
					l.errorf(e.keyPos, ctx, "unknown key %q", e.key)
				}
			}
			if name == "" {
				continue
			}
			t := byName[name]
			switch {
			case t == nil:
				l.errorf(l.deref(it).pos(), ctx, "type %q is not defined in %s", name, graphqlFile)
			case t.Kind != kind:
				l.errorf(l.deref(it).pos(), ctx, "type %q is a %s in %s", name, t.Kind, graphqlFile)
			case rels != nil && kind == "type":
				l.actionRelationships(m, t, rels.val)
			}
		}
	}
}

// action reads one entry of actions.yaml; nil when it is not served (an
// error or an unsupported report says why).
func (l *loader) action(x ynode, defs map[string]*actionDef, types map[string]*CustomType) *Action {
	fields, ok := l.mapping(x, "actions.yaml", "an action")
	if !ok {
		return nil
	}
	at := l.deref(x).pos()
	a := &Action{Pos: at}
	a.TimeoutSec = actions.DefaultTimeoutSec
	var def *field
	good := true
	for i, f := range fields {
		switch f.key {
		case "name":
			a.Name, ok = l.name(f.val, "actions.yaml", "an action's name")
			good = good && ok
			a.Pos = l.deref(f.val).pos()
		case "definition":
			def = &fields[i]
		case "comment":
			if !l.isNull(f.val) {
				a.Comment, ok = l.str(f.val, "actions.yaml", "comment")
				good = good && ok
			}
		case "permissions":
			a.Roles, ok = l.actionPermissions(f.val)
			good = good && ok
		default:
			l.errorf(f.keyPos, "actions.yaml", "unknown key %q in an action", f.key)
			good = false
		}
	}
	if a.Name == "" {
		if good {
			l.errorf(at, "actions.yaml", "an action has no name")
		}
		return nil
	}
	ctx := fmt.Sprintf("action %q", a.Name)
	if !graphqlName.MatchString(a.Name) {
		l.errorf(a.Pos, ctx, "the name is not a GraphQL name")
		good = false
	}
	if def == nil {
		l.errorf(at, ctx, "the action has no definition")
		return nil
	}
	if !l.actionDefinition(a, def.val, ctx) {
		return nil
	}
	d := defs[a.Name]
	if d == nil {
		l.errorf(a.Pos, ctx, "actions.graphql defines no field %s under type Query or type Mutation", a.Name)
		return nil
	}
	a.Mutation = d.mutation
	a.OutputType = d.field.Type.String()
	if a.Async && !a.Mutation {
		// Hasura: only a mutation can be asynchronous.
		l.errorf(a.kindPos, ctx, "only actions of type mutation can be asynchronous; %s is a query", a.Name)
		return nil
	}
	if a.Async && (!objectOutput(a.OutputType, types) || a.Handler == actions.GoOnly) {
		l.unsupportedf(a.kindPos, ctx, "kind: asynchronous with the output type %s or a Go handler (an object type of actions.graphql and a webhook are served)", a.OutputType)
		return nil
	}
	if d.tableOutput != "" {
		switch {
		case a.Handler != actions.GoOnly:
			l.errorf(d.pos, "actions.graphql", "action %q: output: type %q is not defined (a tracked table's type may be the output of an action only when its handler is %q: a Go handler returns the rows' keys)", a.Name, d.tableOutput, actions.GoOnly)
			good = false
		case d.field.Type.NonNull && d.field.Type.Elem == nil:
			l.errorf(d.pos, "actions.graphql", "action %q: output: a row may be hidden from the caller's role: write %s, not %s", a.Name, d.tableOutput, a.OutputType)
			good = false
		default:
			a.OutputTable, a.OutputPos = d.tableOutput, d.pos
		}
	}
	a.Description = d.field.Description
	for _, arg := range d.field.Arguments {
		a.Args = append(a.Args, &CustomField{Name: arg.Name, Type: arg.Type.String(), Description: arg.Description, Default: defaultString(arg.DefaultValue)})
	}
	if !good {
		return nil
	}
	return a
}

// actionDefinition reads an action's definition into a; false when it is
// not served.
func (l *loader) actionDefinition(a *Action, x ynode, ctx string) bool {
	fields, ok := l.mapping(x, ctx, "definition")
	if !ok {
		return false
	}
	ctx += " definition"
	good := true
	for _, f := range fields {
		switch f.key {
		case "kind":
			s, ok := l.str(f.val, ctx, "kind")
			switch {
			case !ok:
				good = false
			case s == "synchronous":
			case s == "asynchronous":
				a.Async = true
				a.kindPos = l.deref(f.val).pos()
			default:
				l.errorf(l.deref(f.val).pos(), ctx, "kind must be synchronous or asynchronous, not %q", s)
				good = false
			}
		case "handler":
			a.Handler, ok = l.name(f.val, ctx, "handler")
			good = good && ok
		case "forward_client_headers":
			a.ForwardClientHeaders, ok = l.boolean(f.val, ctx, "forward_client_headers")
			good = good && ok
		case "headers":
			hs, ok := l.headers(f.val, ctx)
			for _, h := range hs {
				a.Headers = append(a.Headers, actions.Header{Name: h.Name, Value: h.Value, ValueFromEnv: h.ValueFromEnv})
			}
			good = good && ok
		case "timeout":
			if !l.isNull(f.val) {
				n, ok := l.count(f.val, ctx, "timeout")
				if ok && n == 0 {
					l.errorf(l.deref(f.val).pos(), ctx, "timeout must be at least 1 second")
					ok = false
				}
				if ok {
					a.TimeoutSec = n
				}
				good = good && ok
			}
		case "request_transform":
			raw, ok := l.requestTransform(f.val, ctx)
			a.RequestTransform, good = raw, ok && good
		case "response_transform":
			raw, ok := l.responseTransform(f.val, ctx)
			a.ResponseTransform, good = raw, ok && good
		case "type", "arguments", "output_type":
			// A metadata export's copy of actions.graphql's definition.
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q", f.key)
			good = false
		}
	}
	if a.Handler == "" && good {
		l.errorf(l.deref(x).pos(), ctx, "the definition has no handler")
		good = false
	}
	return good
}

// actionPermissions reads an action's permissions: the roles that see it.
func (l *loader) actionPermissions(x ynode) ([]string, bool) {
	if l.isNull(x) {
		return nil, true
	}
	items, ok := l.seq(x, "actions.yaml", "permissions")
	if !ok {
		return nil, false
	}
	var roles []string
	seen := map[string]bool{}
	good := true
	for _, it := range items {
		fields, ok := l.mapping(it, "actions.yaml", "a permission")
		if !ok {
			good = false
			continue
		}
		for _, f := range fields {
			if f.key != "role" {
				l.errorf(f.keyPos, "actions.yaml permissions", "unknown key %q", f.key)
				good = false
				continue
			}
			r, ok := l.name(f.val, "actions.yaml permissions", "role")
			if ok && !seen[r] && r != "admin" {
				seen[r] = true
				roles = append(roles, r)
			}
			good = good && ok
		}
	}
	sort.Strings(roles)
	return roles, good
}

// actionRelationships reads an object type's relationships to tables:
// name, type (object or array), remote_table, field_mapping, source.
func (l *loader) actionRelationships(m *Metadata, t *CustomType, x ynode) {
	if l.isNull(x) {
		return
	}
	ctx := fmt.Sprintf("custom type %q", t.Name)
	items, ok := l.seq(x, ctx, "relationships")
	if !ok {
		return
	}
	for _, it := range items {
		fields, ok := l.mapping(it, ctx, "a relationship")
		if !ok {
			continue
		}
		at := l.deref(it).pos()
		r := &ActionRelationship{}
		good := true
		var mapping *field
		typ := ""
		for i, f := range fields {
			switch f.key {
			case "name":
				r.Name, ok = l.name(f.val, ctx, "name")
				good = good && ok
			case "type":
				typ, ok = l.str(f.val, ctx, "type")
				good = good && ok
			case "source":
				if s, ok := l.str(f.val, ctx, "source"); ok && s != "default" && s != m.Source {
					l.unsupportedf(f.keyPos, ctx, "relationships to source %q", s)
					good = false
				}
			case "remote_table":
				r.Table = l.remoteTable(m, f.val, ctx)
				good = good && r.Table != nil
			case "field_mapping":
				mapping = &fields[i]
			default:
				l.errorf(f.keyPos, ctx, "unknown key %q in a relationship", f.key)
				good = false
			}
		}
		rctx := fmt.Sprintf("%s: relationship %q", ctx, r.Name)
		switch typ {
		case "object":
		case "array":
			r.Array = true
		default:
			l.errorf(at, rctx, "type must be object or array, not %q", typ)
			good = false
		}
		if r.Name == "" || mapping == nil {
			l.errorf(at, rctx, "a relationship needs a name, a remote_table and a field_mapping")
			continue
		}
		pairs, ok := l.mapping(mapping.val, rctx, "field_mapping")
		if !ok || len(pairs) == 0 {
			l.errorf(mapping.keyPos, rctx, "field_mapping must map the type's fields to columns")
			continue
		}
		for _, p := range pairs {
			col, ok := l.name(p.val, rctx, "a mapped column")
			if !ok {
				good = false
				continue
			}
			if !customHasField(t, p.key) {
				l.errorf(p.keyPos, rctx, "type %s has no field %q", t.Name, p.key)
				good = false
			}
			if r.Table != nil && r.Table.def != nil && r.Table.def.Column(col) == nil {
				l.errorf(l.deref(p.val).pos(), rctx, "column %q is not in %s", col, r.Table.QualifiedName())
				good = false
			}
			r.Mapping = append(r.Mapping, FieldColumn{Field: p.key, Column: col})
		}
		if customHasField(t, r.Name) {
			l.errorf(at, rctx, "type %s already has a field %q", t.Name, r.Name)
			good = false
		}
		if good {
			t.Relationships = append(t.Relationships, r)
		}
	}
}

// objectOutput reports whether the output type typ names an object type
// of actions.graphql (an asynchronous action's output must: its result
// is the output field of the <action> object).
func objectOutput(typ string, types map[string]*CustomType) bool {
	t := types[strings.Trim(typ, "[]!")]
	return t != nil && t.Kind == "type"
}

func customHasField(t *CustomType, name string) bool {
	for _, f := range t.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// remoteTable finds the tracked table a relationship names: a name (in
// public) or {schema, name}.
func (l *loader) remoteTable(m *Metadata, x ynode, ctx string) *Table {
	schema, name := "public", ""
	d := l.deref(x)
	if isString(d) {
		name, _ = l.str(d, ctx, "remote_table")
	} else if fields, ok := l.mapping(d, ctx, "remote_table"); ok {
		for _, f := range fields {
			switch f.key {
			case "schema":
				schema, _ = l.str(f.val, ctx, "remote_table schema")
			case "name":
				name, _ = l.str(f.val, ctx, "remote_table name")
			default:
				l.errorf(f.keyPos, ctx, "unknown key %q in remote_table", f.key)
			}
		}
	}
	for _, t := range m.Tables {
		if t.Schema == schema && t.Name == name {
			return t
		}
	}
	l.errorf(d.pos(), ctx, "remote_table %s.%s is not a tracked table", schema, name)
	return nil
}
