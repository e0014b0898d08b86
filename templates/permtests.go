package templates

// The generated permission tests of the emitted project: permtest/, one
// file per table with a test per role, run by `go test ./permtest` in the
// project. Each test inserts rows its role must see and rows it must not
// (permfixtures.go derives them from the role's filters), then asks the
// project's engine as that role (runtime/permtest) through the select
// root field, the aggregate, the relationships from tables the role sees
// every row of, update and delete: the forbidden rows do not come back
// and are not changed, the allowed ones are. The expected rows are
// literals: the test keeps the permissions it was generated from, so a
// filter loosened later fails it until the tests are regenerated and the
// diff reviewed.
//
//	func TestMessagesUser(t *testing.T) {
//		h := permtest.New(t, schemaSQL, project)
//		h.Insert("public", "messages", permtest.Row{"id": "1001", ...})
//		...
//		h.Select(permtest.Select{Role: "user", ...})
//	}

import (
	"fmt"
	"maps"
	"slices"

	"github.com/dave/jennifer/jen"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
)

const permtestPkg = "github.com/hasgen/hasgen/runtime/permtest"

// PermTests renders package permtest of the emitted project:
// permtest/main_test.go and permtest/<schema>_<table>_test.go for every
// table with a select, update or delete permission. module is the
// project's module path.
func PermTests(p *model.Project, source, module string) (map[string][]byte, error) {
	files := map[string][]byte{}
	if p.Naming.Namespace != "" {
		// Root fields under a namespace: not written for yet.
		return files, nil
	}
	for _, t := range p.Tables {
		var cases []*permCase
		for _, role := range p.Roles {
			if t.Select[role] == nil && t.Update[role] == nil && t.Delete[role] == nil {
				continue
			}
			cases = append(cases, derivePermCase(p, t, role))
		}
		if len(cases) == 0 {
			continue
		}
		f := jen.NewFile("permtest_test")
		f.HeaderComment(GeneratedHeader)
		f.HeaderComment("source: " + source)
		f.ImportName(permtestPkg, "permtest")
		for _, c := range cases {
			permTestFunc(f, t, c)
		}
		b, err := render(f)
		if err != nil {
			return nil, fmt.Errorf("render permission tests of table %s: %w", t.Qualified(), err)
		}
		files["permtest/"+t.File+"_test.go"] = b
	}
	if len(files) == 0 {
		return files, nil
	}
	f := jen.NewFile("permtest_test")
	f.HeaderComment(GeneratedHeader)
	f.HeaderComment("source: " + source)
	f.PackageComment("Package permtest_test holds the permission tests hasgen generated from the")
	f.PackageComment("permissions file: for each table and role, rows the role must see and rows it")
	f.PackageComment("must not, asked through this project's engine as that role. They run on a")
	f.PackageComment("fresh database from sql/schema.sql, on $DATABASE_URL's server or a throwaway")
	f.PackageComment("cluster (github.com/hasgen/hasgen/pgtest). When a permission changes, the")
	f.PackageComment("tests fail until regenerated: review their diff.")
	f.Func().Id("TestMain").Params(jen.Id("m").Op("*").Qual("testing", "M")).Block(
		jen.Qual("os", "Exit").Call(jen.Qual("github.com/hasgen/hasgen/pgtest", "Main").Call(jen.Id("m"))),
	)
	f.Comment("schemaSQL is the tracked tables' schema each test's database starts from.")
	f.Const().Id("schemaSQL").Op("=").Lit("../sql/schema.sql")
	f.Comment("project is the engine's part of this server: its tables and schemas.")
	f.Var().Id("project").Op("=").Qual("github.com/hasgen/hasgen/runtime", "Project").Values(jen.Dict{
		jen.Id("Tables"):  jen.Qual(module+"/db", "Tables"),
		jen.Id("Schemas"): jen.Qual(module+"/schema", "FS"),
	})
	b, err := render(f)
	if err != nil {
		return nil, err
	}
	files["permtest/main_test.go"] = b
	return files, nil
}

// permCase is the test of one table and role.
type permCase struct {
	role    string
	session map[string]string
	rows    []*fixtureRow
	sel     *selectCheck
	update  *mutationCheck
	delete  *mutationCheck
	// notes say what was not derived, and why.
	notes []string
}

type selectCheck struct {
	perm               *model.SelectPermission
	allowed, forbidden []*fixtureRow
	rels               []relCheck
}

type relCheck struct {
	from    *model.Table
	rel     *model.Relationship
	parents []*fixtureRow
}

type mutationCheck struct {
	field              string
	allowed, forbidden []*fixtureRow
	setColumn          *model.Column
	setValue           string
	setQuoted          bool
}

// step is one thing done to a test's world; a step that fails is dropped
// and the world rebuilt from the others.
type step func(w *world) error

// derivePermCase derives the rows and checks of role on t.
func derivePermCase(p *model.Project, t *model.Table, role string) *permCase {
	c := &permCase{role: role}
	w0 := newWorld(p) // for kinds and enum labels
	var steps []step
	// try keeps s when the world built from the steps so far and s holds.
	try := func(what string, s step) bool {
		w := newWorld(p)
		for _, prev := range append(slices.Clone(steps), s) {
			if err := prev(w); err != nil {
				c.notes = append(c.notes, fmt.Sprintf("not derived: %s: %v", what, err))
				return false
			}
		}
		steps = append(steps, s)
		return true
	}
	// subjects adds the rows that satisfy filter, one per operand of a
	// top-level _or, and those that violate it, one per operand of a
	// top-level _and; extra (the update's check) must hold on the allowed
	// ones too.
	subjects := func(what string, filter, extra metadata.BoolExp, allowed, forbidden *[]*fixtureRow) {
		yes := []metadata.BoolExp{filter}
		if or, ok := filter.(*metadata.Or); ok && len(or.Exprs) > 1 {
			yes = or.Exprs
		}
		for _, e := range yes {
			desc := fmt.Sprintf("%s: a row that %s", what, describeExp(e, true))
			try(desc, func(w *world) error {
				r := w.row(t)
				r.note = "allowed by " + desc
				*allowed = append(*allowed, r)
				if extra != nil {
					if err := w.satisfy(extra, r); err != nil {
						return err
					}
				}
				if err := w.satisfy(e, r); err != nil {
					return err
				}
				return w.resolve()
			})
		}
		var no [][]metadata.BoolExp // each: violate the first, satisfy the rest
		switch f := filter.(type) {
		case *metadata.And:
			if len(f.Exprs) == 0 {
				c.notes = append(c.notes, what+": the filter is {}: every row is allowed, none is forbidden")
				return
			}
			for i := range f.Exprs {
				rest := slices.Delete(slices.Clone(f.Exprs), i, i+1)
				no = append(no, append([]metadata.BoolExp{f.Exprs[i]}, rest...))
			}
		default:
			no = [][]metadata.BoolExp{{filter}}
		}
		for _, es := range no {
			// A comparison on an enum or a boolean is violated by every
			// value it does not accept, each in a row of its own: a filter
			// widened to one more value lets that row through.
			values := []string{""}
			if vs := w0.outside(t, es[0]); len(vs) > 0 {
				values = vs
			}
			for _, v := range values {
				desc := fmt.Sprintf("%s: a row that %s", what, describeExp(es[0], false))
				if v != "" {
					desc += " (" + es[0].(*metadata.Compare).Column + " " + v + ")"
				}
				try(desc, func(w *world) error {
					r := w.row(t)
					r.note = "forbidden by " + desc
					*forbidden = append(*forbidden, r)
					for _, e := range es[1:] {
						if err := w.satisfy(e, r); err != nil {
							return err
						}
					}
					if v != "" {
						if err := w.constrain(r.cols[es[0].(*metadata.Compare).Column], eqOf(v)); err != nil {
							return err
						}
					}
					if err := w.violate(es[0], r); err != nil {
						return err
					}
					return w.resolve()
				})
			}
		}
	}
	// Every step re-collects its rows: reset the lists before a rebuild.
	var sel selectCheck
	var upd, del mutationCheck
	reset := func(w *world) error {
		sel.allowed, sel.forbidden, upd.allowed, upd.forbidden, del.allowed, del.forbidden = nil, nil, nil, nil, nil, nil
		return nil
	}
	steps = append(steps, reset)

	sp := t.Select[role]
	keysOK := sp != nil && len(t.PrimaryKey) > 0 && selectsAll(sp, t.PrimaryKey)
	switch {
	case sp == nil:
	case !sp.Query.Select:
		c.notes = append(c.notes, "not derived: select: the role has no "+t.Roots.Select+" root field")
	case len(t.PrimaryKey) == 0:
		c.notes = append(c.notes, "not derived: select: the table has no primary key to name its rows by")
	case !keysOK:
		c.notes = append(c.notes, "not derived: select: the role cannot select every primary-key column")
	case sp.Meta != nil && len(sp.Meta.ColumnFilters) > 0:
		c.notes = append(c.notes, "not derived: select: an inherited role's columns depend on its parents' filters")
	default:
		sel.perm = sp
		subjects("select", sp.Filter, nil, &sel.allowed, &sel.forbidden)
	}
	up := t.Update[role]
	if up != nil && t.Roots.Update != "" && !up.BackendOnly {
		if !keysOK {
			c.notes = append(c.notes, "not derived: update: the role cannot select every primary-key column to name the rows with")
		} else {
			upd.field = t.Roots.Update
			subjects("update", up.Filter, up.Check, &upd.allowed, &upd.forbidden)
		}
	}
	dp := t.Delete[role]
	if dp != nil && t.Roots.Delete != "" && !dp.BackendOnly {
		if !keysOK {
			c.notes = append(c.notes, "not derived: delete: the role cannot select every primary-key column to name the rows with")
		} else {
			del.field = t.Roots.Delete
			subjects("delete", dp.Filter, nil, &del.allowed, &del.forbidden)
		}
	}
	// Relationships into t from tables the role sees every row of: the
	// subjects' parents are inserted, and through them the same rows come
	// back.
	if sel.perm != nil {
		for _, from := range p.Tables {
			fp := from.Select[role]
			if from == t || fp == nil {
				continue
			}
			for _, rel := range from.Relationships {
				if rel.Remote != t {
					continue
				}
				why := ""
				switch {
				case !isEmpty(fp.Filter):
					why = "the role's filter on " + from.Qualified() + " is not {}, so which parents come back is not derived"
				case !fp.Query.Select || len(from.PrimaryKey) == 0 || !selectsAll(fp, from.PrimaryKey):
					why = "the role cannot name the rows of " + from.Qualified() + " by their primary key"
				}
				if why != "" {
					c.notes = append(c.notes, fmt.Sprintf("not derived: relationship %s.%s: %s", from.Roots.Select, rel.Name, why))
					continue
				}
				rc := relCheck{from: from, rel: rel}
				idx := len(sel.rels)
				try(fmt.Sprintf("relationship %s.%s", from.Type, rel.Name), func(w *world) error {
					if len(sel.rels) > idx {
						sel.rels = sel.rels[:idx]
					}
					rc := rc
					for _, r := range append(slices.Clone(sel.allowed), sel.forbidden...) {
						parent, err := w.parent(from, rel, r)
						if err != nil {
							return err
						}
						rc.parents = append(rc.parents, parent)
					}
					sel.rels = append(sel.rels, rc)
					return nil
				})
			}
		}
	}

	// The update sets a column the check does not read to a value no
	// allowed row has.
	if upd.field != "" && len(upd.allowed) > 0 {
		try("update: a column to set", func(w *world) error {
			return chooseSet(w, t, up, &upd)
		})
	}

	// The final world: every kept step, once more.
	w := newWorld(p)
	for _, s := range steps {
		if err := s(w); err != nil {
			// Kept steps succeeded together and are deterministic: this
			// is a bug, said rather than tested.
			c.notes = append(c.notes, fmt.Sprintf("not derived: the rows could not be built again: %v", err))
			return c
		}
	}
	c.rows = w.inserts()
	c.session = w.session
	if sel.perm != nil && len(sel.allowed)+len(sel.forbidden) > 0 {
		c.sel = &sel
	}
	if upd.field != "" && upd.setColumn != nil {
		c.update = &upd
	}
	if del.field != "" && len(del.allowed)+len(del.forbidden) > 0 {
		c.delete = &del
	}
	return c
}

// chooseSet picks the update's column and value: a column the check does
// not read, set to a value no allowed row has; or else one it reads only
// in comparisons of the row's own columns, set to a value for which the
// check holds on every allowed row.
func chooseSet(w *world, t *model.Table, up *metadata.UpdatePermission, m *mutationCheck) error {
	presets := map[string]bool{}
	for _, s := range up.Set {
		presets[s.Column] = true
	}
	for _, readByCheck := range []bool{false, true} {
		for _, name := range up.Columns {
			col := t.Column(name)
			if col == nil || presets[name] || slices.Contains(t.PrimaryKey, col) {
				continue
			}
			if reads := up.Check != nil && readsColumn(up.Check, name); reads != readByCheck {
				continue
			}
			k := w.kindOf(col)
			switch k.name {
			case "int", "number", "text", "char", "bool", "uuid", "enum", "enumtable":
			default:
				continue
			}
			s := &slot{col: col}
			for _, r := range m.allowed {
				if v := r.values[name]; v != nil {
					s.ne = append(s.ne, *v)
				}
			}
			for range 8 {
				v, err := w.fresh(s)
				if err != nil {
					break
				}
				if readByCheck && !checkHolds(up.Check, m.allowed, name, v) {
					s.ne = append(s.ne, v)
					continue
				}
				m.setColumn, m.setValue, m.setQuoted = col, v, quoted(col)
				return nil
			}
		}
	}
	return notDerived("no updatable column could be set to a value the check accepts on the allowed rows (presets, keys, and types hasgen does not make values of are not set)")
}

// checkHolds reports whether e holds, with column set to v, on every row;
// false also when e needs more than the row's own columns to decide.
func checkHolds(e metadata.BoolExp, rows []*fixtureRow, column, v string) bool {
	for _, r := range rows {
		vals := maps.Clone(r.values)
		vals[column] = &v
		if ok, known := evalLocal(e, vals); !ok || !known {
			return false
		}
	}
	return true
}

// evalLocal evaluates e on a row's values (SQL's three-valued logic, with
// unknown as false at the top); known is false when e reaches beyond the
// row (relationships, _exists) or uses an operator it does not evaluate.
func evalLocal(e metadata.BoolExp, vals map[string]*string) (ok, known bool) {
	switch e := e.(type) {
	case *metadata.And:
		for _, x := range e.Exprs {
			if ok, known := evalLocal(x, vals); !known || !ok {
				return false, known
			}
		}
		return true, true
	case *metadata.Or:
		for _, x := range e.Exprs {
			ok, known := evalLocal(x, vals)
			if !known {
				return false, false
			}
			if ok {
				return true, true
			}
		}
		return false, true
	case *metadata.Not:
		ok, known := evalLocal(e.Expr, vals)
		return !ok, known
	case *metadata.Compare:
		lit, isLit := e.Value.(*metadata.Literal)
		if !isLit || e.Computed != nil || e.Cast != "" {
			return false, false
		}
		v := vals[e.Column]
		if e.Op == metadata.OpIsNull {
			b, isBool := lit.Value.(bool)
			return (v == nil) == b, isBool
		}
		if v == nil {
			return false, false // NULL compares to NULL: leave it to _is_null
		}
		list, isList := lit.Value.([]any)
		if !isList {
			list = []any{lit.Value}
		}
		var in bool
		for _, x := range list {
			s, ok := fixtureText(x)
			if !ok {
				return false, false
			}
			in = in || *v == s
		}
		switch e.Op {
		case metadata.OpEq, metadata.OpIn:
			return in, true
		case metadata.OpNeq, metadata.OpNin:
			return !in, true
		}
	}
	return false, false
}

// outside is, for a comparison of a column of t whose values are few (an
// enum, a boolean) with literals, the values for which it does not hold;
// nil for any other expression.
func (w *world) outside(t *model.Table, e metadata.BoolExp) []string {
	cmp, ok := e.(*metadata.Compare)
	if !ok || cmp.Op == metadata.OpIsNull {
		return nil
	}
	col := t.Column(cmp.Column)
	if col == nil {
		return nil
	}
	var values []string
	switch k := w.kindOf(col); k.name {
	case "enum", "enumtable":
		values = k.labels
	case "bool":
		values = []string{"false", "true"}
	default:
		return nil
	}
	var out []string
	for _, v := range values {
		if ok, known := evalLocal(cmp, map[string]*string{cmp.Column: &v}); known && !ok {
			out = append(out, v)
		}
	}
	return out
}

// readsColumn reports whether e compares column name of its own table.
func readsColumn(e metadata.BoolExp, name string) bool {
	switch e := e.(type) {
	case *metadata.And:
		return slices.ContainsFunc(e.Exprs, func(x metadata.BoolExp) bool { return readsColumn(x, name) })
	case *metadata.Or:
		return slices.ContainsFunc(e.Exprs, func(x metadata.BoolExp) bool { return readsColumn(x, name) })
	case *metadata.Not:
		return readsColumn(e.Expr, name)
	case *metadata.Compare:
		return e.Column == name
	case *metadata.CompareColumns:
		return e.Column == name || (!e.Root && e.Other == name)
	case *metadata.Related:
		for _, p := range e.Relationship.Columns {
			if p.Local == name {
				return true
			}
		}
	}
	return false
}

func isEmpty(e metadata.BoolExp) bool {
	and, ok := e.(*metadata.And)
	return ok && len(and.Exprs) == 0
}

func selectsAll(sp *model.SelectPermission, cols []*model.Column) bool {
	for _, c := range cols {
		if !slices.Contains(sp.Columns, c) {
			return false
		}
	}
	return true
}

// describeExp says in a test's comment what a row does with e.
func describeExp(e metadata.BoolExp, holds bool) string {
	if holds {
		return "satisfies " + e.String()
	}
	return "violates " + e.String()
}

// permTestFunc writes the test of one table and role:
//
//	// TestPublicMessagesUser checks role user's permissions on public.messages.
//	func TestPublicMessagesUser(t *testing.T) {
//		h := permtest.New(t, schemaSQL, project)
//		h.Insert(...)
//		h.Select(permtest.Select{...})
//		h.Update(permtest.Mutation{...})
//	}
func permTestFunc(f *jen.File, t *model.Table, c *permCase) {
	name := "Test" + model.GoName(t.File) + model.GoName(c.role)
	f.Commentf("%s checks role %s's permissions on %s.", name, c.role, t.Qualified())
	var body []jen.Code
	for _, n := range c.notes {
		body = append(body, jen.Comment(n))
	}
	if c.sel == nil && c.update == nil && c.delete == nil {
		f.Func().Id(name).Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(body...)
		return
	}
	body = append(body, jen.Id("h").Op(":=").Qual(permtestPkg, "New").Call(jen.Id("t"), jen.Id("schemaSQL"), jen.Id("project")))
	for _, r := range c.rows {
		if r.note != "" {
			body = append(body, jen.Comment(r.note))
		}
		dict := jen.Dict{}
		for _, col := range slices.Sorted(maps.Keys(r.values)) {
			v := r.values[col]
			if v == nil {
				dict[jen.Lit(col)] = jen.Nil()
			} else {
				dict[jen.Lit(col)] = jen.Lit(*v)
			}
		}
		body = append(body, jen.Id("h").Dot("Insert").Call(jen.Lit(r.table.Schema), jen.Lit(r.table.Name), jen.Qual(permtestPkg, "Row").Values(dict)))
	}
	session := jen.Dict{}
	for _, k := range slices.Sorted(maps.Keys(c.session)) {
		session[jen.Lit(k)] = jen.Lit(c.session[k])
	}
	sessionMap := jen.Map(jen.String()).String().Values(session)
	if c.sel != nil {
		sp := c.sel.perm
		fields := jen.Dict{
			jen.Id("Role"):    jen.Lit(c.role),
			jen.Id("Session"): sessionMap,
			jen.Id("Field"):   jen.Lit(t.Roots.Select),
			jen.Id("Keys"):    keysLit(t),
			jen.Id("Allowed"): rowsLit(c.sel.allowed),
		}
		if len(c.sel.forbidden) > 0 {
			fields[jen.Id("Forbidden")] = rowsLit(c.sel.forbidden)
		}
		if sp.Aggregations && sp.Query.SelectAggregate && t.Roots.SelectAggregate != "" {
			fields[jen.Id("Aggregate")] = jen.Lit(t.Roots.SelectAggregate)
		}
		var cols, hidden []jen.Code
		for _, col := range t.Columns {
			if slices.Contains(sp.Columns, col) {
				cols = append(cols, jen.Lit(col.Field))
			} else {
				hidden = append(hidden, jen.Lit(col.Field))
			}
		}
		fields[jen.Id("Columns")] = jen.Index().String().Values(cols...)
		if len(hidden) > 0 {
			fields[jen.Id("Hidden")] = jen.Index().String().Values(hidden...)
		}
		var rels []jen.Code
		for _, rc := range c.sel.rels {
			rels = append(rels, jen.Values(jen.Dict{
				jen.Id("Parent"):     jen.Lit(rc.from.Roots.Select),
				jen.Id("ParentKeys"): keysLit(rc.from),
				jen.Id("Name"):       jen.Lit(rc.rel.Name),
				jen.Id("Parents"):    rowsLit(rc.parents),
			}))
		}
		if len(rels) > 0 {
			fields[jen.Id("Relationships")] = jen.Index().Qual(permtestPkg, "Relationship").Values(rels...)
		}
		body = append(body, jen.Id("h").Dot("Select").Call(jen.Qual(permtestPkg, "Select").Values(fields)))
	}
	for _, m := range []struct {
		check  *mutationCheck
		method string
	}{{c.update, "Update"}, {c.delete, "Delete"}} {
		if m.check == nil {
			continue
		}
		fields := jen.Dict{
			jen.Id("Role"):    jen.Lit(c.role),
			jen.Id("Session"): sessionMap,
			jen.Id("Field"):   jen.Lit(m.check.field),
			jen.Id("Select"):  jen.Lit(t.Roots.Select),
			jen.Id("Keys"):    keysLit(t),
		}
		if len(m.check.allowed) > 0 {
			fields[jen.Id("Allowed")] = rowsLit(m.check.allowed)
		}
		if len(m.check.forbidden) > 0 {
			fields[jen.Id("Forbidden")] = rowsLit(m.check.forbidden)
		}
		if col := m.check.setColumn; col != nil {
			lit := m.check.setValue
			if m.check.setQuoted {
				lit = fmt.Sprintf("%q", lit)
			}
			fields[jen.Id("SetColumn")] = jen.Lit(col.Field)
			fields[jen.Id("SetValue")] = jen.Lit(lit)
			fields[jen.Id("Want")] = jen.Lit(m.check.setValue)
		}
		body = append(body, jen.Id("h").Dot(m.method).Call(jen.Qual(permtestPkg, "Mutation").Values(fields)))
	}
	f.Func().Id(name).Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(body...)
}

// keysLit is a table's primary key for permtest.
func keysLit(t *model.Table) jen.Code {
	var keys []jen.Code
	for _, c := range t.PrimaryKey {
		keys = append(keys, jen.Values(jen.Dict{jen.Id("Field"): jen.Lit(c.Field), jen.Id("Quoted"): jen.Lit(quoted(c))}))
	}
	return jen.Index().Qual(permtestPkg, "Key").Values(keys...)
}

// quoted reports whether a GraphQL literal of c's values is a string:
// not for numbers, booleans and the values of an enum table.
func quoted(c *model.Column) bool {
	if c.Enum != nil {
		return false
	}
	switch c.Scalar {
	case "Int", "Float", "bigint", "smallint", "numeric", "float8", "Boolean":
		return false
	}
	return true
}

// rowsLit is the rows' keys: [][]string{{"1001"}, ...}.
func rowsLit(rows []*fixtureRow) jen.Code {
	var out []jen.Code
	for _, r := range rows {
		var vals []jen.Code
		for _, v := range r.key() {
			vals = append(vals, jen.Lit(v))
		}
		out = append(out, jen.Values(vals...))
	}
	return jen.Index().Index().String().Values(out...)
}
