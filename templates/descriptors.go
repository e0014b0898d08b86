package templates

import (
	"fmt"

	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/engine"
)

// description is a table's descriptor as the model defines it: the
// catalog.Table that generated code declares, with its permission filters
// not yet set, and the functions that write them.
type description struct {
	table   *catalog.Table
	filters []*filterFunc
}

// filterFunc is a permission's filter: the generated function named name
// (what it is, for its comment), and the field of the descriptor it is
// assigned to.
type filterFunc struct {
	name, what, role string
	expr             metadata.BoolExp
	field            *catalog.Filter
}

// describe builds the descriptor of t. It is the one place where a
// catalog.Table is made from the model: DB prints it as Go, Descriptors
// hands it to an engine in memory.
func describe(t *model.Table) *description {
	rt := &catalog.Table{Schema: t.Schema, Name: t.Name, Type: t.TypeName(""), Roots: roots(t), Namespace: t.Namespace()}
	if t.GraphQLCase() {
		rt.Naming = catalog.GraphQLDefault
	}
	d := &description{table: rt}
	for _, c := range t.Columns {
		rt.Columns = append(rt.Columns, catalog.Column{Name: c.Name, Field: c.Field, Type: c.SQLType,
			BigNumber: c.BigNumber(), JSON: c.JSON(), Array: c.Dims > 0, Default: c.DefaultSQL(t),
			NoInsert: !c.DB.Insertable, NoUpdate: !c.DB.Updatable, EnumValues: c.UpperEnumValues()})
	}
	for _, c := range t.PrimaryKey {
		rt.PrimaryKey = append(rt.PrimaryKey, c.Name)
	}
	if len(t.Constraints) > 0 {
		rt.Constraints = map[string][]string{}
		for _, c := range t.Constraints {
			for _, col := range c.Columns {
				rt.Constraints[c.Name] = append(rt.Constraints[c.Name], col.Name)
			}
		}
	}
	for _, r := range t.Relationships {
		rr := catalog.Relationship{Name: r.Name, Array: r.Array, Remote: r.Remote.Qualified(), ParentFirst: r.ParentFirst}
		for _, m := range r.Mapping {
			rr.Mapping = append(rr.Mapping, catalog.ColumnPair{Local: m.Local, Remote: m.Remote})
		}
		rt.Relationships = append(rt.Relationships, rr)
	}
	// Permissions, role by role in sorted order: the order of the filter
	// functions in the generated file.
	lower := lowerFirst(t.GoName)
	filter := func(field *catalog.Filter, kind, what, role string, e metadata.BoolExp) {
		if e == nil {
			return
		}
		if a, ok := e.(*metadata.And); ok && len(a.Exprs) == 0 {
			return // always true: no filter
		}
		d.filters = append(d.filters, &filterFunc{name: lower + kind + model.GoName(role), what: what, role: role, expr: e, field: field})
	}
	// Filled kind by kind (the order of the filter functions), listed
	// role by role.
	perms := map[string]*catalog.RolePermissions{}
	of := func(role string) *catalog.RolePermissions {
		if perms[role] == nil {
			perms[role] = &catalog.RolePermissions{Role: role}
		}
		return perms[role]
	}
	if len(t.Select) > 0 {
		for _, role := range sortedKeys(t.Select) {
			sp := t.Select[role]
			perm := &catalog.SelectPermission{Columns: []string{}, Limit: sp.Limit, Aggregations: sp.Aggregations}
			for _, c := range sp.Columns {
				perm.Columns = append(perm.Columns, c.Name)
			}
			filter(&perm.Filter, "Select", "select filter", role, sp.Filter)
			cellFilters(t, sp, perm, func(field *catalog.Filter, col string, e metadata.BoolExp) {
				filter(field, "Select"+model.GoName(col)+"Cell", "condition on column "+col+" (inherited role)", role, e)
			})
			of(role).Select = perm
		}
	}
	if len(t.Insert) > 0 {
		for _, role := range sortedKeys(t.Insert) {
			ip := t.Insert[role]
			perm := &catalog.InsertPermission{Columns: nonNil(ip.Columns), Set: presetValues(ip.Set), BackendOnly: ip.BackendOnly}
			filter(&perm.Check, "InsertCheck", "insert check", role, ip.Check)
			of(role).Insert = perm
		}
	}
	if len(t.Update) > 0 {
		for _, role := range sortedKeys(t.Update) {
			up := t.Update[role]
			perm := &catalog.UpdatePermission{Columns: nonNil(up.Columns), Set: presetValues(up.Set), BackendOnly: up.BackendOnly}
			filter(&perm.Filter, "UpdateFilter", "update filter", role, up.Filter)
			filter(&perm.Check, "UpdateCheck", "update check", role, up.Check)
			of(role).Update = perm
		}
	}
	if len(t.Delete) > 0 {
		for _, role := range sortedKeys(t.Delete) {
			dp := t.Delete[role]
			perm := &catalog.DeletePermission{BackendOnly: dp.BackendOnly}
			filter(&perm.Filter, "DeleteFilter", "delete filter", role, dp.Filter)
			of(role).Delete = perm
		}
	}
	for _, role := range sortedKeys(perms) {
		rt.Permissions = append(rt.Permissions, *perms[role])
	}
	describeFunctions(t, rt)
	return d
}

// nonNil returns s, or an empty slice for nil: a permission's column list
// is always written, empty or not.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Descriptors builds in memory the tables that DB writes as Go, from the
// same descriptions, with each filter replaying the writes its generated
// function makes. hasgen explain and in-process tests compile queries
// with them, without building a server.
func Descriptors(p *model.Project) []*catalog.Table {
	out := make([]*catalog.Table, 0, len(p.Tables))
	for _, t := range p.Tables {
		d := describe(t)
		for _, f := range d.filters {
			*f.field = filterOf(t.SQL(), f.expr)
		}
		out = append(out, d.table)
	}
	return out
}

// EngineConfig is the configuration of a runtime engine for the project,
// built in memory: the descriptors and every role's SDL. Callers add what
// the server would read from its environment.
func EngineConfig(p *model.Project) (engine.Config, error) {
	sdl := map[string][]byte{}
	for _, role := range append([]string{model.AdminRole}, p.Roles...) {
		b, err := SDL(p, role)
		if err != nil {
			return engine.Config{}, fmt.Errorf("schema of role %s: %w", role, err)
		}
		sdl[role] = b
	}
	return engine.Config{Tables: Descriptors(p), SDL: sdl, IntrospectionDisabledFor: p.Metadata.IntrospectionDisabledForRoles}, nil
}

// roots returns the root field names DB writes.
func roots(t *model.Table) catalog.RootFields {
	var r catalog.RootFields
	fields := map[string]*string{
		"Select": &r.Select, "SelectByPk": &r.SelectByPk, "SelectAggregate": &r.SelectAggregate,
		"SelectStream": &r.SelectStream, "Insert": &r.Insert, "InsertOne": &r.InsertOne,
		"Update": &r.Update, "UpdateByPk": &r.UpdateByPk, "UpdateMany": &r.UpdateMany,
		"Delete": &r.Delete, "DeleteByPk": &r.DeleteByPk,
	}
	for _, p := range rootPairs(t) {
		*fields[p.name] = p.val
	}
	return r
}

func presetValues(set []*metadata.Preset) []catalog.Preset {
	var out []catalog.Preset
	for _, p := range set {
		rp := catalog.Preset{Column: p.Column}
		switch v := p.Value.(type) {
		case *metadata.SessionVar:
			rp.Session = v.Name
		case *metadata.Literal:
			if v.Value == nil {
				rp.Null = true
			} else {
				rp.Literal = literalText(v.Value)
			}
		}
		out = append(out, rp)
	}
	return out
}

// filterOf returns a filter that makes the writes the generated function
// for e, a filter on table (quoted), makes.
func filterOf(table string, e metadata.BoolExp) catalog.Filter {
	fw := &filterWriter{}
	fw.expr(table, "t", e)
	parts, n := fw.parts, fw.aliases
	return func(w *catalog.Writer, t string) {
		aliases := map[string]string{"t": t}
		for i := 1; i <= n; i++ {
			aliases["a"+itoa(i)] = w.Alias()
		}
		for _, p := range parts {
			switch {
			case p.sessionObject:
				w.SessionObject(p.typ)
			case p.reads != "":
				w.Table(p.reads)
			case p.session != "" && p.array:
				w.SessionArray(p.session, p.typ)
			case p.session != "":
				w.Session(p.session, p.typ)
			case p.alias != "":
				w.WriteString(aliases[p.alias])
			case p.table != "":
				w.WriteString(w.Table(p.table))
			default:
				w.WriteString(p.text)
			}
		}
	}
}

// cellFilters fills perm.Cells from an inherited role's column conditions,
// in table column order, and hands each condition to filter with the
// field its function is assigned to. A condition that always holds needs
// no cell filter (the column is nullable in the schema all the same).
func cellFilters(t *model.Table, sp *model.SelectPermission, perm *catalog.SelectPermission, filter func(field *catalog.Filter, col string, e metadata.BoolExp)) {
	if sp.Meta == nil || len(sp.Meta.ColumnFilters) == 0 {
		return
	}
	var exprs []metadata.BoolExp
	for _, c := range t.Columns {
		e, ok := sp.Meta.ColumnFilters[c.Name]
		if !ok {
			continue
		}
		if a, ok := e.(*metadata.And); ok && len(a.Exprs) == 0 {
			continue
		}
		perm.Cells = append(perm.Cells, catalog.CellFilter{Column: c.Name})
		exprs = append(exprs, e)
	}
	// The slice is complete: its elements' addresses are final.
	for i := range perm.Cells {
		filter(&perm.Cells[i].Filter, perm.Cells[i].Column, exprs[i])
	}
}
