package templates

import (
	"fmt"

	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/engine"
)

// Descriptors builds in memory the runtime tables that DB writes as Go:
// the same columns, relationships, root fields and permissions, with each
// filter replaying the writes its generated function makes. hasgen explain
// and in-process tests compile queries with them, without building a
// server.
func Descriptors(p *model.Project) []*catalog.Table {
	out := make([]*catalog.Table, 0, len(p.Tables))
	for _, t := range p.Tables {
		rt := &catalog.Table{Schema: t.Schema, Name: t.Name, Type: t.Type}
		for _, c := range t.Columns {
			rt.Columns = append(rt.Columns, catalog.Column{Name: c.Name, Field: c.Field, Type: c.SQLType,
				BigNumber: c.BigNumber(), JSON: c.JSON(), Array: c.Dims > 0, Default: c.DefaultSQL(t),
				NoInsert: !c.DB.Insertable, NoUpdate: !c.DB.Updatable})
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
		rt.Roots = roots(t)
		if len(t.Select) > 0 {
			rt.Select = map[string]*catalog.SelectPermission{}
			for role, sp := range t.Select {
				perm := &catalog.SelectPermission{Filter: filterOf(sp.Filter), Limit: sp.Limit, Aggregations: sp.Aggregations}
				for _, c := range sp.Columns {
					perm.Columns = append(perm.Columns, c.Name)
				}
				rt.Select[role] = perm
			}
		}
		if len(t.Insert) > 0 {
			rt.Insert = map[string]*catalog.InsertPermission{}
			for role, ip := range t.Insert {
				rt.Insert[role] = &catalog.InsertPermission{Columns: ip.Columns, Check: filterOf(ip.Check),
					Set: presetValues(ip.Set), BackendOnly: ip.BackendOnly}
			}
		}
		if len(t.Update) > 0 {
			rt.Update = map[string]*catalog.UpdatePermission{}
			for role, up := range t.Update {
				rt.Update[role] = &catalog.UpdatePermission{Columns: up.Columns, Filter: filterOf(up.Filter),
					Check: filterOf(up.Check), Set: presetValues(up.Set), BackendOnly: up.BackendOnly}
			}
		}
		if len(t.Delete) > 0 {
			rt.Delete = map[string]*catalog.DeletePermission{}
			for role, dp := range t.Delete {
				rt.Delete[role] = &catalog.DeletePermission{Filter: filterOf(dp.Filter), BackendOnly: dp.BackendOnly}
			}
		}
		out = append(out, rt)
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
	return engine.Config{Tables: Descriptors(p), SDL: sdl}, nil
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
// for e makes, or nil when e is always true.
func filterOf(e metadata.BoolExp) catalog.Filter {
	if e == nil {
		return nil
	}
	if a, ok := e.(*metadata.And); ok && len(a.Exprs) == 0 {
		return nil
	}
	fw := &filterWriter{}
	fw.expr("", "t", e)
	parts, n := fw.parts, fw.aliases
	return func(w *catalog.Writer, t string) {
		aliases := map[string]string{"t": t}
		for i := 1; i <= n; i++ {
			aliases["a"+itoa(i)] = w.Alias()
		}
		for _, p := range parts {
			switch {
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
