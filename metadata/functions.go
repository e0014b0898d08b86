package metadata

import (
	"fmt"
	"sort"

	"github.com/hasgen/hasgen/introspect"
)

// Tracked SQL functions (a database source's functions key, Hasura's
// functions.yaml) and the functions behind computed fields, checked
// against the introspected functions.

// Function is a tracked SQL function: a root field that returns rows of a
// tracked table.
type Function struct {
	// Pos is where the function is named.
	Pos Pos
	// Schema and Name identify the function in the database.
	Schema string
	Name   string
	// Mutation is true when the function is exposed as a mutation
	// (exposed_as: mutation, or a VOLATILE function without exposed_as).
	Mutation bool
	// SessionArgument names the argument that receives the session
	// variables as JSON; "" for none.
	SessionArgument string
	// CustomName replaces the function's GraphQL name; "" keeps it.
	CustomName string
	// CustomRootFields rename the function's root fields.
	CustomRootFields FunctionRootFields
	// Comment replaces the root field's description.
	Comment string
	// Permissions are the roles given access explicitly, in file order.
	Permissions []string
	// Def is the function as introspected.
	Def *introspect.Function
}

// FunctionRootFields are the custom_root_fields of a function.
type FunctionRootFields struct {
	// Function renames <fn>, FunctionAggregate <fn>_aggregate.
	Function          RootFieldName
	FunctionAggregate RootFieldName
}

// QualifiedName returns "schema.name".
func (f *Function) QualifiedName() string { return f.Schema + "." + f.Name }

// Permitted reports whether role has an explicit function permission.
func (f *Function) Permitted(role string) bool {
	for _, r := range f.Permissions {
		if r == role {
			return true
		}
	}
	return false
}

// functions reads the chosen source's functions (after the tables, whose
// names they are checked against) and checks the functions of the tables'
// computed fields. The result is sorted by schema then name.
func (v *validator) functions() []*Function {
	for _, e := range v.entries {
		if e.t.def == nil || e.t.dup {
			continue
		}
		for _, cf := range e.t.ComputedFields {
			v.computedFieldFunction(e.t, cf)
		}
	}
	if v.loader.functions == nil || v.isNull(*v.loader.functions) {
		return nil
	}
	items, ok := v.seq(*v.loader.functions, "", "functions")
	if !ok {
		return nil
	}
	var out []*Function
	seen := map[string]*Function{}
	for _, it := range v.flatten(items, 0) {
		f := v.function(it)
		if f == nil {
			continue
		}
		if first := seen[f.QualifiedName()]; first != nil {
			v.errorf(f.Pos, "", "function %s is listed twice (first at %s)", f.QualifiedName(), first.Pos)
			continue
		}
		seen[f.QualifiedName()] = f
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Schema != out[j].Schema {
			return out[i].Schema < out[j].Schema
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// function reads one entry of functions: {function, configuration,
// comment, permissions}.
func (v *validator) function(x ynode) *Function {
	fields, ok := v.mapping(x, "", "a function entry")
	if !ok {
		return nil
	}
	var fnField *field
	for i := range fields {
		if fields[i].key == "function" {
			fnField = &fields[i]
		}
	}
	if fnField == nil {
		if !hasKey(fields, "name") {
			v.errorf(v.deref(x).pos(), "", "the function entry has no function key")
			return nil
		}
		// Hasura's version 1 metadata names the function itself:
		// {schema, name}.
		fnField = &field{key: "function", val: x}
		fields = []field{*fnField}
	}
	schema, name, p, ok := v.qualified(fnField.val, "", "function")
	if !ok {
		return nil
	}
	f := &Function{Pos: p, Schema: schema, Name: name}
	ctx := "function " + f.QualifiedName()
	var exposedAs string
	var exposedPos Pos
	for _, fd := range fields {
		switch fd.key {
		case "function":
		case "configuration":
			exposedAs, exposedPos = v.functionConfiguration(f, fd.val, ctx)
		case "comment":
			f.Comment, _ = v.str(fd.val, ctx, "comment")
		case "permissions":
			v.functionPermissions(f, fd.val, ctx)
		default:
			v.errorf(fd.keyPos, ctx, "unknown key %q in a function entry", fd.key)
		}
	}
	f.Def = v.lookupFunction(schema, name, p, "")
	if f.Def == nil {
		return nil
	}
	d := f.Def
	if d.ReturnType != nil {
		v.errorf(p, ctx, "the function returns %s; a tracked function must return a table's rows (SETOF <table> or <table>)", d.ReturnType.SQL)
		return nil
	}
	if d.Variadic {
		v.errorf(p, ctx, "functions with VARIADIC arguments are not supported (nor by Hasura)")
		return nil
	}
	if v.tracked(d.ReturnSchema, d.ReturnTable, p, ctx) == nil {
		return nil
	}
	switch exposedAs {
	case "":
		f.Mutation = d.Volatility == "volatile"
	case "query":
	case "mutation":
		if d.Volatility != "volatile" {
			v.errorf(exposedPos, ctx, "the function is %s: only a VOLATILE function can be exposed as a mutation", d.Volatility)
		}
		f.Mutation = true
	}
	for i, a := range d.Args {
		if n := argName(a, i, d.Args); !graphQLName.MatchString(n) {
			v.errorf(p, ctx, "argument %q is not a valid GraphQL name", n)
		}
	}
	if f.SessionArgument != "" {
		v.sessionArgument(d, f.SessionArgument, false, p, ctx)
	}
	return f
}

// argName is an argument's GraphQL name: its own, or arg_<n> counting the
// unnamed ones, as Hasura names them.
func argName(a introspect.Arg, i int, args []introspect.Arg) string {
	if a.Name != "" {
		return a.Name
	}
	n := 0
	for _, b := range args[:i+1] {
		if b.Name == "" {
			n++
		}
	}
	return fmt.Sprintf("arg_%d", n)
}

// functionConfiguration reads a function's configuration and returns its
// exposed_as ("" when absent) and where it is written.
func (v *validator) functionConfiguration(f *Function, x ynode, ctx string) (string, Pos) {
	if v.isNull(x) {
		return "", Pos{}
	}
	fields, ok := v.mapping(x, ctx, "configuration")
	if !ok {
		return "", Pos{}
	}
	var exposedAs string
	var pos Pos
	for _, fd := range fields {
		switch fd.key {
		case "exposed_as":
			pos = v.deref(fd.val).pos()
			exposedAs, _ = v.str(fd.val, ctx, "exposed_as")
			if exposedAs != "query" && exposedAs != "mutation" {
				v.errorf(pos, ctx, "exposed_as must be query or mutation, not %q", exposedAs)
				exposedAs = ""
			}
		case "session_argument":
			f.SessionArgument, _ = v.str(fd.val, ctx, "session_argument")
		case "custom_name":
			f.CustomName = v.graphQLName(fd.val, ctx, "custom_name")
		case "custom_root_fields":
			rf, ok := v.mapping(fd.val, ctx, "custom_root_fields")
			if !ok {
				continue
			}
			for _, r := range rf {
				var slot *RootFieldName
				switch r.key {
				case "function":
					slot = &f.CustomRootFields.Function
				case "function_aggregate":
					slot = &f.CustomRootFields.FunctionAggregate
				default:
					v.errorf(r.keyPos, ctx, "unknown key %q in custom_root_fields", r.key)
					continue
				}
				v.rootFieldName(slot, r.val, ctx, r.key)
			}
		default:
			v.errorf(fd.keyPos, ctx, "unknown key %q in a function configuration", fd.key)
		}
	}
	return exposedAs, pos
}

// rootFieldName reads a custom root field: a name, or {name, comment}.
func (v *validator) rootFieldName(slot *RootFieldName, x ynode, ctx, what string) {
	if v.isNull(x) {
		return
	}
	if isString(v.deref(x)) {
		slot.Name = v.graphQLName(x, ctx, "custom_root_fields."+what)
		return
	}
	fields, ok := v.mapping(x, ctx, "custom_root_fields."+what)
	if !ok {
		return
	}
	for _, fd := range fields {
		switch fd.key {
		case "name":
			slot.Name = v.graphQLName(fd.val, ctx, "custom_root_fields."+what)
		case "comment":
			slot.Comment, _ = v.str(fd.val, ctx, "comment")
		default:
			v.errorf(fd.keyPos, ctx, "unknown key %q in custom_root_fields.%s", fd.key, what)
		}
	}
}

// functionPermissions reads a function's permissions: a list of {role}.
func (v *validator) functionPermissions(f *Function, x ynode, ctx string) {
	items, _ := v.seq(x, ctx, "permissions")
	for _, it := range items {
		fields, ok := v.mapping(it, ctx, "a function permission")
		if !ok {
			continue
		}
		role := ""
		for _, fd := range fields {
			switch fd.key {
			case "role":
				role, _ = v.name(fd.val, ctx, "role")
			default:
				v.errorf(fd.keyPos, ctx, "unknown key %q in a function permission", fd.key)
			}
		}
		p := v.deref(it).pos()
		switch {
		case role == "":
			v.errorf(p, ctx, "the function permission has no role")
		case role == "admin":
			v.errorf(p, ctx, "admin may run every function: it takes no permission")
		case f.Permitted(role):
			v.errorf(p, ctx, "role %q is given the function permission twice", role)
		default:
			f.Permissions = append(f.Permissions, role)
		}
	}
}

// lookupFunction returns the introspected function schema.name, reporting
// it when it is missing or overloaded.
func (v *validator) lookupFunction(schema, name string, p Pos, ctx string) *introspect.Function {
	var found []*introspect.Function
	for i := range v.s.Functions {
		if f := &v.s.Functions[i]; f.Schema == schema && f.Name == name {
			found = append(found, f)
		}
	}
	switch len(found) {
	case 0:
		v.errorf(p, ctx, "function %s.%s does not exist in the database, or neither returns a table's rows nor takes a tracked table's row", schema, name)
		return nil
	case 1:
		return found[0]
	}
	v.errorf(p, ctx, "function %s.%s is overloaded: Hasura and hasgen track only functions with one definition", schema, name)
	return nil
}

// sessionArgument checks that the function has the argument name and that
// it is of type json, or jsonb when jsonb is true: Hasura takes jsonb for
// a computed field's session argument, not for a tracked function's.
func (v *validator) sessionArgument(d *introspect.Function, name string, jsonb bool, p Pos, ctx string) int {
	for i, a := range d.Args {
		if a.Name != name {
			continue
		}
		t := a.Type.Scalar()
		if ok := t.Schema == "pg_catalog" && t.Dims == 0 && (t.Name == "json" || jsonb && t.Name == "jsonb"); !ok {
			want := "json"
			if jsonb {
				want = "json or jsonb"
			}
			v.errorf(p, ctx, "session_argument %q is of type %s: it must be %s", name, a.Type.SQL, want)
			return -1
		}
		return i
	}
	v.errorf(p, ctx, "session_argument %q is not an argument of %s.%s", name, d.Schema, d.Name)
	return -1
}

// computedFieldFunction checks the function of a computed field of t: it
// takes t's row (the table_argument, else the first argument) and returns
// a scalar or SETOF a tracked table.
func (v *validator) computedFieldFunction(t *Table, cf *ComputedField) {
	if cf.checked {
		return
	}
	cf.checked = true
	ctx := fmt.Sprintf("table %s: computed field %q", t.QualifiedName(), cf.Name)
	d := v.lookupFunction(cf.FunctionSchema, cf.FunctionName, cf.Pos, ctx)
	if d == nil {
		return
	}
	cf.TableArgIndex, cf.SessionArgIndex = -1, -1
	if cf.TableArgument == "" {
		if len(d.Args) > 0 {
			cf.TableArgIndex = 0
		}
	} else {
		for i, a := range d.Args {
			if a.Name == cf.TableArgument {
				cf.TableArgIndex = i
			}
		}
	}
	if cf.TableArgIndex < 0 {
		v.errorf(cf.Pos, ctx, "function %s.%s has no table argument %q", d.Schema, d.Name, cf.TableArgument)
		return
	}
	if a := d.Args[cf.TableArgIndex]; a.Type.Kind != introspect.TypeComposite || a.Type.Schema != t.Schema || a.Type.Name != t.Name || a.Type.Dims > 0 {
		v.errorf(cf.Pos, ctx, "the table argument of %s.%s is of type %s, not %s", d.Schema, d.Name, a.Type.SQL, t.QualifiedName())
		return
	}
	if cf.SessionArgument != "" {
		if cf.SessionArgIndex = v.sessionArgument(d, cf.SessionArgument, true, cf.Pos, ctx); cf.SessionArgIndex < 0 {
			return
		}
	}
	if d.Volatility == "volatile" {
		v.errorf(cf.Pos, ctx, "function %s.%s is VOLATILE: a computed field's function must be STABLE or IMMUTABLE", d.Schema, d.Name)
		return
	}
	switch {
	case d.ReturnType != nil:
		if d.ReturnType.Kind != introspect.TypeBase {
			v.errorf(cf.Pos, ctx, "function %s.%s returns %s, not a base type: a computed field returns a base type (as Hasura) or SETOF a table", d.Schema, d.Name, d.ReturnType.SQL)
			return
		}
	case d.Single:
		v.errorf(cf.Pos, ctx, "function %s.%s returns one row of %s.%s: a computed field returns a scalar or SETOF a table", d.Schema, d.Name, d.ReturnSchema, d.ReturnTable)
		return
	default:
		if v.tracked(d.ReturnSchema, d.ReturnTable, cf.Pos, ctx) == nil {
			return
		}
	}
	for i, a := range d.Args {
		if i == cf.TableArgIndex || i == cf.SessionArgIndex {
			continue
		}
		if n := argName(a, i, d.Args); !graphQLName.MatchString(n) {
			v.errorf(cf.Pos, ctx, "argument %q is not a valid GraphQL name", n)
		}
	}
	for _, c := range t.def.Columns {
		cf.RowColumns = append(cf.RowColumns, c.Name)
	}
	cf.Def = d
}

// computedField returns t's computed field name, or nil.
func computedField(t *Table, name string) *ComputedField {
	for _, cf := range t.ComputedFields {
		if cf.Name == name {
			return cf
		}
	}
	return nil
}

// computedExp reads a scalar computed field's comparison in a filter,
// as a column's. Its function must take no argument from a request.
func (v *validator) computedExp(f field, cur *Table, cf *ComputedField, sc *scope) BoolExp {
	v.computedFieldFunction(cur, cf)
	d := cf.Def
	if d == nil {
		return nil
	}
	if d.ReturnType == nil {
		v.errorf(f.keyPos, sc.ctx, "computed field %q returns rows of %s.%s: a filter can use scalar computed fields only", cf.Name, d.ReturnSchema, d.ReturnTable)
		return nil
	}
	for i := range d.Args {
		if i != cf.TableArgIndex && i != cf.SessionArgIndex {
			v.errorf(f.keyPos, sc.ctx, "computed field %q takes arguments: a filter can use computed fields without arguments only", cf.Name)
			return nil
		}
	}
	col := &introspect.Column{Name: cf.Name, Type: *d.ReturnType}
	if isJSON(col.Type.Scalar()) {
		v.errorf(f.keyPos, sc.ctx, "computed field %q is of type json, which filters cannot use (jsonb can)", cf.Name)
		return nil
	}
	dv := v.resolve(f.val, false)
	if dv.bad {
		return nil
	}
	c := &colRef{table: cur, col: col, typ: col.Type, computed: cf}
	if !isMapping(dv) {
		return v.compare(c, OpEq, opGeneric, "_eq", dv, f.keyPos, sc)
	}
	return v.operators(c, dv, f.keyPos, sc)
}

// functionSchemas returns the schemas of the functions the metadata names
// (tracked functions and computed fields' functions), without reporting
// anything: Schemas introspects them too.
func (l *loader) functionSchemas(entries []ynode) []string {
	var out []string
	add := func(x ynode) {
		d := l.deref(x)
		if _, ok := rawString(d); ok {
			out = append(out, "public")
			return
		}
		sub, ok := l.mappingQuiet(d)
		if !ok {
			return
		}
		schema := "public"
		for _, s := range sub {
			if v, ok := rawString(l.deref(s.val)); ok && s.key == "schema" && v != "" {
				schema = v
			}
		}
		out = append(out, schema)
	}
	for _, e := range entries {
		fields, _ := l.mappingQuiet(e)
		for _, f := range fields {
			if f.key != "computed_fields" {
				continue
			}
			items, _ := l.seqQuiet(f.val)
			for _, it := range items {
				cf, _ := l.mappingQuiet(it)
				for _, c := range cf {
					if c.key != "definition" {
						continue
					}
					def, _ := l.mappingQuiet(c.val)
					for _, d := range def {
						if d.key == "function" {
							add(d.val)
						}
					}
				}
			}
		}
	}
	if l.functions != nil {
		items, _ := l.seqQuiet(*l.functions)
		for _, it := range l.flatten(items, 0) {
			fields, _ := l.mappingQuiet(it)
			if !hasKey(fields, "function") {
				add(it) // version 1: {schema, name}
			}
			for _, f := range fields {
				if f.key == "function" {
					add(f.val)
				}
			}
		}
	}
	return out
}

// seqQuiet returns the items of a list, or nothing, without reporting.
func (l *loader) seqQuiet(x ynode) ([]ynode, bool) {
	d := l.deref(x)
	if d.bad || !isList(d) {
		return nil, false
	}
	return l.seq(d, "", "")
}

// inheritFunctions gives the inherited role r a function permission on
// every function one of its parents has one on: an inherited role has
// the union of its parents' permissions. Parents come first, so that an
// inherited parent already has its own.
func inheritFunctions(m *Metadata, r *InheritedRole) {
	for _, f := range m.Functions {
		if f.Permitted(r.Name) {
			continue
		}
		for _, p := range r.RoleSet {
			if f.Permitted(p) {
				f.Permissions = append(f.Permissions, r.Name)
				break
			}
		}
	}
}
