package permdiff

import "fmt"

// A forbidden case is a valid query with one thing added that the role
// may not use: a hidden column selected, compared, ordered by, made
// distinct or aggregated; a relationship, relationship filter or root
// field on a table without a select permission; an aggregate where
// allow_aggregations is off. The server must refuse it with an error
// that names the thing (Hasura: "field 'phone' not found in type:
// 'customers'").

// forbidden is one way to break a query: apply changes the query and
// returns what the error must name.
type forbidden struct {
	what      string
	name      string
	refDenies bool
	apply     func()
}

// forbid changes q to use one thing the role may not, and returns its
// description, the name the server's error must mention, and whether the
// reference must refuse it too.
func (x *gen) forbid(q *Query) (what, name string, refDenies bool) {
	var opts []forbidden
	r := x.role
	add := func(what, name string, refDenies bool, apply func()) {
		opts = append(opts, forbidden{what, name, refDenies, apply})
	}
	// Root fields on tables without a permission, or aggregates without
	// allow_aggregations.
	for _, t := range x.Schema.Tables {
		switch {
		case !r.CanSelect(t):
			add("root field on "+t.Name+" (no select permission)", t.Name, true, func() {
				f := &Field{Kind: KindList, Table: t, Sel: &Selection{Fields: []*Field{{Kind: KindColumn, Column: t.PK[0]}}}}
				x.alias(f, rootKeys(q))
				q.Fields = append(q.Fields, f)
			})
		case !r.CanAggregate(t):
			add(t.Name+"_aggregate (no allow_aggregations)", t.Name+"_aggregate", false, func() {
				f := &Field{Kind: KindAggregate, Table: t, Agg: &AggSel{Count: &CountSel{}}}
				x.alias(f, rootKeys(q))
				q.Fields = append(q.Fields, f)
			})
		}
	}
	walkFields(q, func(f *Field) {
		t := f.Table
		if f.Kind == KindColumn {
			return
		}
		hidden := r.HiddenColumns(t)
		if f.Sel != nil || f.Agg != nil && f.Agg.Nodes != nil {
			sel := f.Sel
			if sel == nil {
				sel = f.Agg.Nodes
			}
			for _, c := range hidden {
				add(fmt.Sprintf("hidden column %s.%s selected", t.Name, c.Name), c.Name, true, func() {
					g := &Field{Kind: KindColumn, Column: c.Name}
					x.alias(g, selKeys(sel))
					sel.Fields = append(sel.Fields, g)
				})
			}
			for _, rel := range t.Rels {
				switch {
				case !r.CanSelect(rel.To):
					add(fmt.Sprintf("relationship %s.%s to %s (no select permission)", t.Name, rel.Name, rel.To.Name), rel.Name, true, func() {
						g := &Field{Kind: KindObject, Rel: rel, Table: rel.To, Sel: &Selection{Fields: []*Field{{Kind: KindColumn, Column: rel.To.PK[0]}}}}
						if rel.Array {
							g.Kind = KindList
						}
						x.alias(g, selKeys(sel))
						sel.Fields = append(sel.Fields, g)
					})
				case rel.Array && !r.CanAggregate(rel.To):
					add(fmt.Sprintf("%s.%s_aggregate (no allow_aggregations on %s)", t.Name, rel.Name, rel.To.Name), rel.Name+"_aggregate", false, func() {
						g := &Field{Kind: KindAggregate, Rel: rel, Table: rel.To, Agg: &AggSel{Count: &CountSel{}}}
						x.alias(g, selKeys(sel))
						sel.Fields = append(sel.Fields, g)
					})
				}
			}
		}
		if f.Kind == KindObject || f.Kind == KindByPk {
			return
		}
		// Arguments of lists and aggregates.
		for _, c := range hidden {
			add(fmt.Sprintf("where on hidden column %s.%s", t.Name, c.Name), c.Name, true, func() {
				w := &BoolExp{Op: BoolCol, Column: c.Name, Cmps: []*Cmp{{Op: "_is_null", IsNull: false}}}
				f.Args.Where = andWhere(f.Args.Where, w)
			})
			add(fmt.Sprintf("order_by hidden column %s.%s", t.Name, c.Name), c.Name, true, func() {
				insertOrder(f, &OrderItem{Column: c.Name, Dir: "asc"})
			})
			add(fmt.Sprintf("distinct_on hidden column %s.%s", t.Name, c.Name), c.Name, true, func() {
				o := &OrderItem{Column: c.Name, Dir: "asc"}
				f.Args.DistinctOn = []string{c.Name}
				f.Args.OrderBy = append([]*OrderItem{o}, f.Args.OrderBy...)
			})
			if f.Kind == KindAggregate {
				fn := "max"
				if c.Type.Summable() {
					fn = "sum"
				}
				add(fmt.Sprintf("%s of hidden column %s.%s", fn, t.Name, c.Name), c.Name, true, func() {
					f.Agg.Ops = append(f.Agg.Ops, &AggOp{Fn: fn, Columns: []string{c.Name}})
				})
			}
		}
		for _, rel := range t.Rels {
			switch {
			case !r.CanSelect(rel.To):
				add(fmt.Sprintf("where through relationship %s.%s to %s (no select permission)", t.Name, rel.Name, rel.To.Name), rel.Name, true, func() {
					f.Args.Where = andWhere(f.Args.Where, &BoolExp{Op: BoolRel, Rel: rel, Sub: &BoolExp{Op: BoolTrue}})
				})
				if !rel.Array {
					add(fmt.Sprintf("order_by through relationship %s.%s to %s (no select permission)", t.Name, rel.Name, rel.To.Name), rel.Name, true, func() {
						insertOrder(f, &OrderItem{Rel: rel, Column: rel.To.PK[0], Dir: "asc"})
					})
				}
				continue
			case rel.Array && !r.CanAggregate(rel.To):
				add(fmt.Sprintf("order_by %s.%s_aggregate (no allow_aggregations on %s)", t.Name, rel.Name, rel.To.Name), rel.Name+"_aggregate", false, func() {
					insertOrder(f, &OrderItem{Rel: rel, Fn: "count", Dir: "asc"})
				})
				add(fmt.Sprintf("where on %s.%s_aggregate (no allow_aggregations on %s)", t.Name, rel.Name, rel.To.Name), rel.Name+"_aggregate", false, func() {
					f.Args.Where = andWhere(f.Args.Where, &BoolExp{Op: BoolAggCount, Rel: rel, Pred: &Cmp{Op: "_gt", Value: &Value{Type: Int, Text: "0"}}})
				})
			}
			for _, c := range r.HiddenColumns(rel.To) {
				add(fmt.Sprintf("where through %s.%s on hidden column %s.%s", t.Name, rel.Name, rel.To.Name, c.Name), c.Name, true, func() {
					w := &BoolExp{Op: BoolCol, Column: c.Name, Cmps: []*Cmp{{Op: "_is_null", IsNull: true}}}
					f.Args.Where = andWhere(f.Args.Where, &BoolExp{Op: BoolRel, Rel: rel, Sub: w})
				})
				if !rel.Array {
					add(fmt.Sprintf("order_by through %s.%s hidden column %s.%s", t.Name, rel.Name, rel.To.Name, c.Name), c.Name, true, func() {
						insertOrder(f, &OrderItem{Rel: rel, Column: c.Name, Dir: "desc"})
					})
				}
			}
		}
	})
	if len(opts) == 0 {
		return "", "", false
	}
	o := pick(x, opts)
	o.apply()
	return o.what, o.name, o.refDenies
}

// insertOrder puts o in f's order_by after the distinct_on keys, which
// must stay first.
func insertOrder(f *Field, o *OrderItem) {
	at := len(f.Args.DistinctOn)
	f.Args.OrderBy = append(f.Args.OrderBy[:at:at], append([]*OrderItem{o}, f.Args.OrderBy[at:]...)...)
}

func andWhere(w, add *BoolExp) *BoolExp {
	if w == nil {
		return add
	}
	return &BoolExp{Op: BoolAnd, Children: []*BoolExp{w, add}}
}

func rootKeys(q *Query) map[string]bool {
	keys := map[string]bool{}
	for _, f := range q.Fields {
		keys[f.Key()] = true
	}
	return keys
}

func selKeys(s *Selection) map[string]bool {
	keys := map[string]bool{}
	for _, f := range s.Fields {
		keys[f.Key()] = true
	}
	return keys
}

// walkFields calls fn for every field of q, parents first.
func walkFields(q *Query, fn func(*Field)) {
	var walk func(f *Field)
	walkSel := func(s *Selection) {
		if s == nil {
			return
		}
		// A copy: fn may append to s.Fields.
		for _, f := range append([]*Field(nil), s.Fields...) {
			walk(f)
		}
	}
	walk = func(f *Field) {
		fn(f)
		walkSel(f.Sel)
		if f.Agg != nil {
			walkSel(f.Agg.Nodes)
		}
	}
	for _, f := range append([]*Field(nil), q.Fields...) {
		walk(f)
	}
}

// Violations returns what in q the role may not use, by the permission
// model alone: a forbidden case has at least one, a valid case none.
func Violations(q *Query, r *Role) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	cols := func(t *Table, what string, names ...string) {
		for _, c := range names {
			if c != "" && !r.Visible(t, c) {
				bad("%s hidden column %s.%s", what, t.Name, c)
			}
		}
	}
	var where func(t *Table, e *BoolExp)
	where = func(t *Table, e *BoolExp) {
		if e == nil {
			return
		}
		switch e.Op {
		case BoolCol:
			cols(t, "where on", e.Column)
		case BoolRel, BoolAggCount:
			if !r.CanSelect(e.Rel.To) {
				bad("where through %s.%s to %s", t.Name, e.Rel.Name, e.Rel.To.Name)
			}
			if e.Op == BoolAggCount && !r.CanAggregate(e.Rel.To) {
				bad("where on %s.%s_aggregate", t.Name, e.Rel.Name)
			}
			where(e.Rel.To, e.Sub)
		}
		for _, c := range e.Children {
			where(t, c)
		}
	}
	walkFields(q, func(f *Field) {
		if f.Kind == KindColumn {
			return
		}
		t := f.Table
		if !r.CanSelect(t) {
			bad("select on %s", t.Name)
		}
		if f.Kind == KindAggregate {
			if !r.CanAggregate(t) {
				bad("aggregate on %s", t.Name)
			}
			if c := f.Agg.Count; c != nil {
				cols(t, "count of", c.Column)
			}
			for _, op := range f.Agg.Ops {
				cols(t, op.Fn+" of", op.Columns...)
			}
		}
		for _, s := range []*Selection{f.Sel, nodesOf(f)} {
			if s == nil {
				continue
			}
			for _, g := range s.Fields {
				if g.Kind == KindColumn {
					cols(t, "selected", g.Column)
				}
			}
		}
		where(t, f.Args.Where)
		for _, o := range f.Args.OrderBy {
			switch {
			case o.Rel == nil:
				cols(t, "order_by", o.Column)
			case !r.CanSelect(o.Rel.To) || o.Rel.Array && !r.CanAggregate(o.Rel.To):
				bad("order_by through %s.%s", t.Name, o.Rel.Name)
			default:
				cols(o.Rel.To, "order_by", o.Column)
			}
		}
		cols(t, "distinct_on", f.Args.DistinctOn...)
	})
	return out
}

func nodesOf(f *Field) *Selection {
	if f.Agg == nil {
		return nil
	}
	return f.Agg.Nodes
}

// ReadTables returns the tables q reads, each once, in the order met:
// root fields, relationships selected, followed in where (relationship
// filters and aggregate predicates) and in order_by.
func ReadTables(q *Query) []*Table {
	var out []*Table
	seen := map[*Table]bool{}
	add := func(t *Table) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	var where func(e *BoolExp)
	where = func(e *BoolExp) {
		if e == nil {
			return
		}
		if e.Op == BoolRel || e.Op == BoolAggCount {
			add(e.Rel.To)
			where(e.Sub)
		}
		for _, c := range e.Children {
			where(c)
		}
	}
	walkFields(q, func(f *Field) {
		if f.Kind == KindColumn {
			return
		}
		add(f.Table)
		where(f.Args.Where)
		for _, o := range f.Args.OrderBy {
			if o.Rel != nil {
				add(o.Rel.To)
			}
		}
	})
	return out
}

// SessionTables returns the tables q reads whose filter for the role
// needs its session variable.
func SessionTables(q *Query, r *Role) []string {
	var out []string
	for _, t := range ReadTables(q) {
		if p := r.Perm(t); p != nil && p.Session {
			out = append(out, t.Name)
		}
	}
	return out
}
