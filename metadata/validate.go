package metadata

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hasgen/hasgen/introspect"
)

// validator turns table entries into Tables, checking every name against
// the database. It runs in phases so that a filter can follow any
// relationship of any table: tables, then relationships and names, then
// permissions.
type validator struct {
	*loader
	s *introspect.Schema
	// tables holds the first entry of each tracked table by "schema.name".
	tables  map[string]*Table
	entries []*entry
}

// entry is a table entry being validated.
type entry struct {
	t      *Table
	fields []field
}

// tableKeys are the keys of a table entry, Hasura's table metadata.
var tableKeys = map[string]bool{
	"table": true, "is_enum": true, "configuration": true,
	"object_relationships": true, "array_relationships": true, "computed_fields": true,
	"select_permissions": true, "insert_permissions": true, "update_permissions": true, "delete_permissions": true,
	"event_triggers": true, "remote_relationships": true, "apollo_federation_config": true,
}

var graphQLName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)

func (v *validator) run(items []ynode) {
	for _, x := range items {
		v.table(x)
	}
	for _, e := range v.entries {
		if e.t.def == nil || e.t.dup {
			continue
		}
		v.tableBody(e)
	}
	for _, e := range v.entries {
		if e.t.def == nil || e.t.dup {
			continue
		}
		v.names(e.t)
	}
	for _, e := range v.entries {
		if e.t.def == nil || e.t.dup {
			continue
		}
		v.permissionKinds(e)
	}
}

// sorted returns the tracked tables by schema then name.
func (v *validator) sorted() []*Table {
	var ts []*Table
	for _, t := range v.tables {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Schema != ts[j].Schema {
			return ts[i].Schema < ts[j].Schema
		}
		return ts[i].Name < ts[j].Name
	})
	return ts
}

func key(schema, name string) string { return schema + "." + name }

// table reads the table key of an entry and registers the table.
func (v *validator) table(x ynode) {
	fields, ok := v.mapping(x, "", "a table entry")
	if !ok {
		return
	}
	var tf *field
	for i := range fields {
		if fields[i].key == "table" {
			tf = &fields[i]
		}
	}
	if tf == nil {
		v.errorf(v.deref(x).pos(), "", "the table entry has no table key")
		return
	}
	schema, name, p, ok := v.qualified(tf.val, "", "table")
	if !ok {
		return
	}
	t := &Table{Pos: p, Schema: schema, Name: name}
	qn := key(schema, name)
	for _, f := range fields {
		if !tableKeys[f.key] {
			v.errorf(f.keyPos, "table "+qn, "unknown key %q", f.key)
		}
	}
	if first := v.tables[qn]; first != nil {
		v.errorf(p, "", "table %s is listed twice (first at %s)", qn, first.Pos)
		t.dup = true
		return
	}
	v.tables[qn] = t
	v.entries = append(v.entries, &entry{t: t, fields: fields})
	t.def = v.s.Table(schema, name)
	if t.def == nil {
		v.errorf(p, "", "table %s does not exist in the database", qn)
	}
}

// qualified reads a table name: {schema, name}, or a bare name in public.
func (v *validator) qualified(x ynode, ctx, what string) (schema, name string, p Pos, ok bool) {
	d := v.deref(x)
	if d.bad {
		return "", "", Pos{}, false
	}
	p = d.pos()
	if !isMapping(d) {
		if isString(d) {
			s, _ := v.str(d, ctx, what)
			if s == "" {
				v.errorf(p, ctx, "%s must not be empty", what)
				return "", "", p, false
			}
			return "public", s, p, true
		}
		v.typeError(d, ctx, what, "{schema, name} or a table name")
		return "", "", p, false
	}
	fields, ok := v.mapping(d, ctx, what)
	if !ok {
		return "", "", p, false
	}
	schema = "public"
	for _, f := range fields {
		switch f.key {
		case "schema":
			if schema, ok = v.name(f.val, ctx, what+" schema"); !ok {
				return "", "", p, false
			}
		case "name":
			if name, ok = v.name(f.val, ctx, what+" name"); !ok {
				return "", "", p, false
			}
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q in %s", f.key, what)
			return "", "", p, false
		}
	}
	if name == "" {
		v.errorf(p, ctx, "%s has no name", what)
		return "", "", p, false
	}
	return schema, name, p, true
}

// tableBody reads everything but the permissions.
func (v *validator) tableBody(e *entry) {
	t := e.t
	ctx := "table " + t.QualifiedName()
	var objs, arrs, rrs []field
	for _, f := range e.fields {
		switch f.key {
		case "is_enum":
			t.IsEnum, _ = v.boolean(f.val, ctx, "is_enum")
		case "configuration":
			v.configuration(t, f.val)
		case "computed_fields":
			v.computedFields(t, f.val)
		case "object_relationships":
			objs = append(objs, f)
		case "array_relationships":
			arrs = append(arrs, f)
		case "event_triggers":
			v.eventTriggerList(t, f.val)
		case "remote_relationships":
			rrs = append(rrs, f)
		case "apollo_federation_config":
			if !v.empty(f.val) {
				v.unsupportedf(f.keyPos, ctx, f.key)
			}
		}
	}
	for _, f := range objs {
		v.relationships(t, f.val, ObjectRelationship)
	}
	for _, f := range arrs {
		v.relationships(t, f.val, ArrayRelationship)
	}
	for _, f := range rrs {
		v.remoteRelationships(t, f.val)
	}
	if t.IsEnum {
		v.enumTable(t)
	}
}

// enumTable checks Hasura's rules for an enum table: a single-column
// primary key of type text, and at most one other column, of type text.
func (v *validator) enumTable(t *Table) {
	pk := t.def.PrimaryKey
	bad := pk == nil || len(pk.Columns) != 1 || len(t.def.Columns) > 2
	for _, c := range t.def.Columns {
		if !isText(c.Type.Scalar()) {
			bad = true
		}
	}
	if bad {
		v.errorf(t.Pos, "", "table %s cannot be an enum table (is_enum): it needs a single-column text primary key and at most one other column, of type text", t.QualifiedName())
	}
}

func (v *validator) configuration(t *Table, x ynode) {
	ctx := "table " + t.QualifiedName() + " configuration"
	fields, ok := v.mapping(x, ctx, "configuration")
	if !ok {
		return
	}
	c := &t.Configuration
	cols := map[string]*ColumnConfig{}
	column := func(f field) *ColumnConfig {
		if t.def.Column(f.key) == nil {
			v.errorf(f.keyPos, ctx, "column %q is not in %s", f.key, t.QualifiedName())
			return nil
		}
		cc := cols[f.key]
		if cc == nil {
			cc = &ColumnConfig{Pos: f.keyPos, Column: f.key}
			cols[f.key] = cc
		}
		return cc
	}
	for _, f := range fields {
		switch f.key {
		case "custom_name":
			c.CustomName = v.graphQLName(f.val, ctx, "custom_name")
		case "comment":
			c.Comment, _ = v.str(f.val, ctx, "comment")
		case "custom_root_fields":
			v.rootFields(&c.CustomRootFields, f.val, ctx)
		case "column_config":
			colFields, _ := v.mapping(f.val, ctx, "column_config")
			for _, cf := range colFields {
				cc := column(cf)
				settings, _ := v.mapping(cf.val, ctx, "column_config."+cf.key)
				for _, s := range settings {
					switch s.key {
					case "custom_name":
						name := v.graphQLName(s.val, ctx, "custom_name")
						if cc != nil {
							cc.CustomName = name
						}
					case "comment":
						comment, _ := v.str(s.val, ctx, "comment")
						if cc != nil {
							cc.Comment = comment
						}
					default:
						v.errorf(s.keyPos, ctx, "unknown key %q in column_config", s.key)
					}
				}
			}
		case "custom_column_names":
			colFields, _ := v.mapping(f.val, ctx, "custom_column_names")
			for _, cf := range colFields {
				cc := column(cf)
				name := v.graphQLName(cf.val, ctx, "custom column name")
				if cc != nil && cc.CustomName == "" {
					cc.CustomName = name
				}
			}
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q", f.key)
		}
	}
	for _, cc := range cols {
		c.ColumnConfig = append(c.ColumnConfig, cc)
	}
	sort.Slice(c.ColumnConfig, func(i, j int) bool {
		return t.def.Column(c.ColumnConfig[i].Column).Position < t.def.Column(c.ColumnConfig[j].Column).Position
	})
}

// graphQLName reads a string that must be a GraphQL name.
func (v *validator) graphQLName(x ynode, ctx, what string) string {
	if v.isNull(x) {
		return ""
	}
	s, ok := v.str(x, ctx, what)
	if !ok {
		return ""
	}
	if !graphQLName.MatchString(s) {
		v.errorf(v.deref(x).pos(), ctx, "%s %q is not a valid GraphQL name", what, s)
		return ""
	}
	return s
}

func (v *validator) rootFields(r *CustomRootFields, x ynode, ctx string) {
	fields, ok := v.mapping(x, ctx, "custom_root_fields")
	if !ok {
		return
	}
	slots := map[string]*RootFieldName{
		"select": &r.Select, "select_by_pk": &r.SelectByPk, "select_aggregate": &r.SelectAggregate,
		"select_stream": &r.SelectStream, "insert": &r.Insert, "insert_one": &r.InsertOne,
		"update": &r.Update, "update_by_pk": &r.UpdateByPk, "update_many": &r.UpdateMany,
		"delete": &r.Delete, "delete_by_pk": &r.DeleteByPk,
	}
	for _, f := range fields {
		slot := slots[f.key]
		if slot == nil {
			v.errorf(f.keyPos, ctx, "unknown root field %q in custom_root_fields", f.key)
			continue
		}
		d := v.deref(f.val)
		if !isMapping(d) {
			slot.Name = v.graphQLName(f.val, ctx, "custom_root_fields."+f.key)
			continue
		}
		sub, _ := v.mapping(d, ctx, "custom_root_fields."+f.key)
		for _, s := range sub {
			switch s.key {
			case "name":
				slot.Name = v.graphQLName(s.val, ctx, "custom_root_fields."+f.key+".name")
			case "comment":
				slot.Comment, _ = v.str(s.val, ctx, "comment")
			default:
				v.errorf(s.keyPos, ctx, "unknown key %q in custom_root_fields.%s", s.key, f.key)
			}
		}
	}
}

func (v *validator) computedFields(t *Table, x ynode) {
	ctx := "table " + t.QualifiedName()
	items, _ := v.seq(x, ctx, "computed_fields")
	for _, it := range items {
		fields, ok := v.mapping(it, ctx, "a computed field")
		if !ok {
			continue
		}
		cf := &ComputedField{Pos: v.deref(it).pos()}
		var def *field
		hasName := false
		for i, f := range fields {
			switch f.key {
			case "name":
				hasName = true
				cf.Name = v.graphQLName(f.val, ctx, "computed field name")
			case "definition":
				def = &fields[i]
			case "comment":
				cf.Comment, _ = v.str(f.val, ctx, "comment")
			default:
				v.errorf(f.keyPos, ctx, "unknown key %q in a computed field", f.key)
			}
		}
		if cf.Name == "" {
			if !hasName {
				v.errorf(cf.Pos, ctx, "the computed field has no name")
			}
			continue
		}
		fctx := fmt.Sprintf("computed field %q", cf.Name)
		if def == nil {
			v.errorf(cf.Pos, fctx, "definition is required")
			continue
		}
		dfields, _ := v.mapping(def.val, fctx, "definition")
		for _, f := range dfields {
			switch f.key {
			case "function":
				cf.FunctionSchema, cf.FunctionName, _, _ = v.qualified(f.val, fctx, "function")
			case "table_argument":
				cf.TableArgument, _ = v.str(f.val, fctx, "table_argument")
			case "session_argument":
				cf.SessionArgument, _ = v.str(f.val, fctx, "session_argument")
			default:
				v.errorf(f.keyPos, fctx, "unknown key %q in definition", f.key)
			}
		}
		if cf.FunctionName == "" {
			v.errorf(cf.Pos, fctx, "definition has no function")
			continue
		}
		t.ComputedFields = append(t.ComputedFields, cf)
	}
}

// relationships reads a list of relationships of one kind.
func (v *validator) relationships(t *Table, x ynode, kind RelKind) {
	ctx := "table " + t.QualifiedName()
	items, _ := v.seq(x, ctx, kind.String()+"_relationships")
	for _, it := range items {
		fields, ok := v.mapping(it, ctx, "a relationship")
		if !ok {
			continue
		}
		r := &Relationship{Pos: v.deref(it).pos(), Kind: kind}
		var using *field
		hasName := false
		for i, f := range fields {
			switch f.key {
			case "name":
				hasName = true
				if name, ok := v.name(f.val, ctx, "relationship name"); ok {
					r.Name = name
					r.Pos = v.deref(f.val).pos()
				}
			case "using":
				using = &fields[i]
			case "comment":
				r.Comment, _ = v.str(f.val, ctx, "comment")
			default:
				v.errorf(f.keyPos, ctx, "unknown key %q in a relationship", f.key)
			}
		}
		if r.Name == "" {
			if !hasName {
				v.errorf(r.Pos, ctx, "the %s relationship has no name", kind)
			}
			continue
		}
		t.Relationships = append(t.Relationships, r)
		rctx := fmt.Sprintf("%s relationship %q", kind, r.Name)
		if !graphQLName.MatchString(r.Name) {
			v.errorf(r.Pos, rctx, "%q is not a valid GraphQL name", r.Name)
		}
		if using == nil {
			v.errorf(r.Pos, rctx, "using is required")
			r.bad = true
			continue
		}
		if !v.using(t, r, using.val, rctx) {
			r.bad = true
		}
	}
}

// using resolves a relationship's using against the database.
func (v *validator) using(t *Table, r *Relationship, x ynode, ctx string) bool {
	fields, ok := v.mapping(x, ctx, "using")
	if !ok {
		return false
	}
	var fk, manual *field
	for i, f := range fields {
		switch f.key {
		case "foreign_key_constraint_on":
			fk = &fields[i]
		case "manual_configuration":
			manual = &fields[i]
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q in using", f.key)
			return false
		}
	}
	switch {
	case fk != nil && manual != nil:
		v.errorf(fk.keyPos, ctx, "using has both foreign_key_constraint_on and manual_configuration")
		return false
	case fk != nil:
		return v.foreignKeyOn(t, r, fk.val, ctx)
	case manual != nil:
		return v.manual(t, r, manual.val, ctx)
	}
	v.errorf(v.deref(x).pos(), ctx, "using needs foreign_key_constraint_on or manual_configuration")
	return false
}

// columnNames reads a column name or a list of them.
func (v *validator) columnNames(x ynode, ctx, what string) ([]string, []Pos, bool) {
	d := v.deref(x)
	if d.bad {
		return nil, nil, false
	}
	if isList(d) {
		items, _ := v.seq(d, ctx, what)
		var names []string
		var poss []Pos
		ok := len(items) > 0
		if !ok {
			v.errorf(d.pos(), ctx, "%s must name at least one column", what)
		}
		for _, it := range items {
			n, good := v.name(it, ctx, what)
			ok = ok && good
			names = append(names, n)
			poss = append(poss, v.deref(it).pos())
		}
		return names, poss, ok
	}
	if !isString(d) {
		v.typeError(d, ctx, what, "a column name or a list of column names")
		return nil, nil, false
	}
	n, ok := v.name(d, ctx, what)
	return []string{n}, []Pos{d.pos()}, ok
}

// checkColumns reports the names that are not columns of t.
func (v *validator) checkColumns(t *introspect.Table, names []string, poss []Pos, ctx string) bool {
	ok := true
	for i, n := range names {
		if t.Column(n) == nil {
			v.errorf(poss[i], ctx, "column %q is not in %s.%s", n, t.Schema, t.Name)
			ok = false
		}
	}
	return ok
}

// tracked returns the tracked table schema.name, reporting it when it is
// not in the database or not tracked. A table reported elsewhere (listed
// but unknown) is returned as nil silently.
func (v *validator) tracked(schema, name string, p Pos, ctx string) *Table {
	t := v.tables[key(schema, name)]
	switch {
	case t != nil && t.def == nil:
		return nil
	case t != nil:
		return t
	case v.s.Table(schema, name) == nil:
		v.errorf(p, ctx, "table %s.%s does not exist in the database", schema, name)
	default:
		v.errorf(p, ctx, "table %s.%s is not tracked: add a table entry for it", schema, name)
	}
	return nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		if seen[x] == 0 {
			return false
		}
		seen[x]--
	}
	return true
}

func columnList(cols []string) string { return "(" + strings.Join(cols, ", ") + ")" }

// foreignKeyOn resolves foreign_key_constraint_on: a column or a list of
// columns of this table (the constraint is this table's), or
// {table, column | columns} (the constraint is the remote table's and
// references this one).
func (v *validator) foreignKeyOn(t *Table, r *Relationship, x ynode, ctx string) bool {
	d := v.deref(x)
	if d.bad {
		return false
	}
	if !isMapping(d) {
		if r.Kind == ArrayRelationship {
			v.errorf(d.pos(), ctx, "an array relationship's foreign_key_constraint_on names the remote table: {table: ..., column: ...}")
			return false
		}
		cols, poss, ok := v.columnNames(d, ctx, "foreign_key_constraint_on")
		if !ok || !v.checkColumns(t.def, cols, poss, ctx) {
			return false
		}
		var found []introspect.ForeignKey
		for _, fk := range t.def.ForeignKeys {
			if sameSet(fk.Columns, cols) {
				found = append(found, fk)
			}
		}
		if !v.oneForeignKey(found, d.pos(), ctx, fmt.Sprintf("%s has no foreign key constraint on %s", t.QualifiedName(), columnList(cols))) {
			return false
		}
		fk := found[0]
		remote := v.tracked(fk.RefSchema, fk.RefTable, d.pos(), ctx)
		if remote == nil {
			return false
		}
		r.RemoteSchema, r.RemoteTable = fk.RefSchema, fk.RefTable
		r.Constraint = fk.Name
		for i := range fk.Columns {
			r.Columns = append(r.Columns, ColumnPair{Local: fk.Columns[i], Remote: fk.RefColumns[i]})
		}
		r.InsertionOrder = BeforeParent
		return true
	}
	fields, _ := v.mapping(d, ctx, "foreign_key_constraint_on")
	var tableField, colField *field
	for i, f := range fields {
		switch f.key {
		case "table":
			tableField = &fields[i]
		case "column", "columns":
			if colField != nil {
				v.errorf(f.keyPos, ctx, "foreign_key_constraint_on has both column and columns")
				return false
			}
			colField = &fields[i]
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q in foreign_key_constraint_on", f.key)
			return false
		}
	}
	if tableField == nil || colField == nil {
		v.errorf(d.pos(), ctx, "foreign_key_constraint_on needs table and column (or columns)")
		return false
	}
	schema, name, tp, ok := v.qualified(tableField.val, ctx, "table")
	if !ok {
		return false
	}
	remote := v.tracked(schema, name, tp, ctx)
	cols, poss, ok := v.columnNames(colField.val, ctx, colField.key)
	if remote == nil || !ok || !v.checkColumns(remote.def, cols, poss, ctx) {
		return false
	}
	var found []introspect.ForeignKey
	for _, fk := range remote.def.ForeignKeys {
		if sameSet(fk.Columns, cols) && fk.RefSchema == t.Schema && fk.RefTable == t.Name {
			found = append(found, fk)
		}
	}
	if !v.oneForeignKey(found, d.pos(), ctx, fmt.Sprintf("%s has no foreign key constraint on %s that references %s", remote.QualifiedName(), columnList(cols), t.QualifiedName())) {
		return false
	}
	fk := found[0]
	r.RemoteSchema, r.RemoteTable = schema, name
	r.Constraint = fk.Name
	r.Reverse = true
	for i := range fk.Columns {
		r.Columns = append(r.Columns, ColumnPair{Local: fk.RefColumns[i], Remote: fk.Columns[i]})
	}
	r.InsertionOrder = AfterParent
	return true
}

// oneForeignKey reports no match (missing) or several matches.
func (v *validator) oneForeignKey(found []introspect.ForeignKey, p Pos, ctx, missing string) bool {
	switch len(found) {
	case 0:
		v.errorf(p, ctx, "%s", missing)
		return false
	case 1:
		return true
	}
	var names []string
	for _, fk := range found {
		names = append(names, fk.Name)
	}
	v.errorf(p, ctx, "several foreign key constraints match (%s); use manual_configuration", strings.Join(names, ", "))
	return false
}

func (v *validator) manual(t *Table, r *Relationship, x ynode, ctx string) bool {
	fields, ok := v.mapping(x, ctx, "manual_configuration")
	if !ok {
		return false
	}
	r.Manual = true
	r.InsertionOrder = BeforeParent
	if r.Kind == ArrayRelationship {
		r.InsertionOrder = AfterParent
	}
	var remote *Table
	var mapping *field
	good := true
	for i, f := range fields {
		switch f.key {
		case "remote_table":
			schema, name, p, ok := v.qualified(f.val, ctx, "remote_table")
			if !ok {
				return false
			}
			if remote = v.tracked(schema, name, p, ctx); remote == nil {
				good = false
			}
		case "column_mapping":
			mapping = &fields[i]
		case "insertion_order":
			if v.isNull(f.val) {
				// Hasura's own export writes null for the default order.
				continue
			}
			s, ok := v.str(f.val, ctx, "insertion_order")
			switch {
			case !ok:
				good = false
			case s == "before_parent":
				if r.Kind == ObjectRelationship {
					r.InsertionOrder = BeforeParent
				}
			case s == "after_parent":
				r.InsertionOrder = AfterParent
			default:
				v.errorf(v.deref(f.val).pos(), ctx, "insertion_order must be before_parent or after_parent, not %q", s)
				good = false
			}
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q in manual_configuration", f.key)
			good = false
		}
	}
	if mapping == nil {
		v.errorf(v.deref(x).pos(), ctx, "manual_configuration needs remote_table and column_mapping")
		return false
	}
	if remote == nil {
		if good {
			v.errorf(v.deref(x).pos(), ctx, "manual_configuration needs remote_table and column_mapping")
		}
		return false
	}
	pairs, ok := v.mapping(mapping.val, ctx, "column_mapping")
	if !ok {
		return false
	}
	if len(pairs) == 0 {
		v.errorf(v.deref(mapping.val).pos(), ctx, "column_mapping is empty")
		return false
	}
	for _, p := range pairs {
		if t.def.Column(p.key) == nil {
			v.errorf(p.keyPos, ctx, "column %q is not in %s", p.key, t.QualifiedName())
			good = false
		}
		rc, ok := v.name(p.val, ctx, "column_mapping."+p.key)
		if !ok {
			good = false
			continue
		}
		if remote.def.Column(rc) == nil {
			v.errorf(v.deref(p.val).pos(), ctx, "column %q is not in %s", rc, remote.QualifiedName())
			good = false
		}
		r.Columns = append(r.Columns, ColumnPair{Local: p.key, Remote: rc})
	}
	r.RemoteSchema, r.RemoteTable = remote.Schema, remote.Name
	return good
}

// names reports relationships and computed fields whose name is taken by
// a column or an earlier field: they would be the same GraphQL field.
func (v *validator) names(t *Table) {
	taken := map[string]string{}
	for _, c := range t.def.Columns {
		taken[c.Name] = fmt.Sprintf("column %q of %s", c.Name, t.QualifiedName())
	}
	for _, r := range t.Relationships {
		ctx := fmt.Sprintf("%s relationship %q", r.Kind, r.Name)
		if by, ok := taken[r.Name]; ok {
			v.errorf(r.Pos, ctx, "the name is already used by %s", by)
			continue
		}
		taken[r.Name] = fmt.Sprintf("the %s relationship at %s", r.Kind, r.Pos)
	}
	for _, cf := range t.ComputedFields {
		if by, ok := taken[cf.Name]; ok {
			v.errorf(cf.Pos, fmt.Sprintf("computed field %q", cf.Name), "the name is already used by %s", by)
			continue
		}
		taken[cf.Name] = fmt.Sprintf("the computed field at %s", cf.Pos)
	}
	for _, r := range t.RemoteRelationships {
		if by, ok := taken[r.Name]; ok {
			v.errorf(r.Pos, fmt.Sprintf("remote relationship %q", r.Name), "the name is already used by %s", by)
			continue
		}
		taken[r.Name] = fmt.Sprintf("the remote relationship at %s", r.Pos)
	}
}
