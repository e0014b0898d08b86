package permdiff

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Case is one generated test: a query asked as a role with session
// variables.
type Case struct {
	// Seed and Index identify the case: Generator.Case(Seed, Index)
	// builds it again.
	Seed  uint64
	Index int
	Role  *Role
	// Session holds the session variables sent as headers (lower case
	// names), besides the role.
	Session map[string]string
	Query   *Query
	// Forbidden, when not empty, says what in the query the role may not
	// use: the server must refuse the query.
	Forbidden string
	// ForbiddenName is the column or field name the server's error must
	// mention.
	ForbiddenName string
	// RefDenies is true when the reference must refuse the forbidden
	// query too (a column or table the role has no grant on); false for
	// what only the permission model forbids (allow_aggregations).
	RefDenies bool
}

// Generator makes random cases over a schema, deterministically: a case
// depends only on the seed and its index.
type Generator struct {
	Schema  *Schema
	Samples *Samples
	// ForbiddenRate is the share of non-admin cases that use something
	// the role may not (0.08 when zero; negative for none).
	ForbiddenRate float64
	// Roles restricts the roles cases are generated for (all when
	// empty).
	Roles []string
	// NoListItemVars keeps variables out of list literals (_in: [$v]):
	// hasgen binds the variable's name instead of its value (RESULTS.md,
	// difference 2). A run that sets it looks for other differences.
	NoListItemVars bool
}

// gen is the state of one case's generation.
type gen struct {
	*Generator
	rng     *rand.Rand
	role    *Role
	session string // the session's user id, "" for admin
}

// Case returns case index of the run seeded with seed.
func (g *Generator) Case(seed uint64, index int) *Case {
	x := &gen{Generator: g, rng: rand.New(rand.NewPCG(seed, uint64(index)))}
	c := &Case{Seed: seed, Index: index, Session: map[string]string{}}
	roles := g.Schema.Roles
	if len(g.Roles) > 0 {
		roles = nil
		for _, n := range g.Roles {
			roles = append(roles, g.Schema.Role(n))
		}
	}
	// customer and employee have filters worth testing: admin is a
	// smaller share.
	weights := make([]int, len(roles))
	for i, r := range roles {
		weights[i] = 4
		if r.Admin() {
			weights[i] = 1
		}
	}
	x.role = roles[x.weighted(weights)]
	c.Role = x.role
	if x.role.Session != "" {
		id := x.userID()
		c.Session[x.role.Session] = id
		// Values compared with the id are GraphQL Ints: no leading zeros.
		n, _ := strconv.Atoi(id)
		x.session = strconv.Itoa(n)
	}
	c.Query = x.query()
	rate := g.ForbiddenRate
	if rate == 0 {
		rate = 0.08
	}
	if !x.role.Admin() && x.rng.Float64() < rate {
		c.Forbidden, c.ForbiddenName, c.RefDenies = x.forbid(c.Query)
	}
	switch k := x.rng.Float64(); {
	case x.role.Session == "" || c.Forbidden != "":
	case k < 0.04:
		// No session variable: a query reading a table whose filter needs
		// it must fail, one that reads none must be answered.
		delete(c.Session, x.role.Session)
	case k < 0.06:
		// Not an integer: the filters cannot compare it, and must not
		// read it as something they can (0, null, a prefix).
		c.Session[x.role.Session] = pick(x, []string{"abc", "3abc", "1.5", "9999999999", "0x10"})
	}
	return c
}

func (x *gen) weighted(w []int) int {
	total := 0
	for _, n := range w {
		total += n
	}
	k := x.rng.IntN(total)
	for i, n := range w {
		if k < n {
			return i
		}
		k -= n
	}
	return len(w) - 1
}

func (x *gen) chance(p float64) bool { return x.rng.Float64() < p }

func pick[T any](x *gen, s []T) T { return s[x.rng.IntN(len(s))] }

// userID picks the session's user id: mostly one with rows, sometimes
// one without (unknown ids must see nothing, not everything).
func (x *gen) userID() string {
	var ids []string
	switch x.role.Name {
	case "employee":
		ids = x.Samples.EmployeeIDs
		// Employees 3, 4 and 5 support customers; the others see none.
		if x.chance(0.6) {
			return pick(x, []string{"3", "4", "5"})
		}
	default:
		ids = x.Samples.CustomerIDs
	}
	if x.chance(0.12) {
		return pick(x, []string{"0", "-1", strconv.Itoa(len(ids) + 1), "100000"})
	}
	if x.chance(0.03) {
		// The filters compare the variable as an integer: "007" is 7.
		return "00" + pick(x, ids)
	}
	return pick(x, ids)
}

// selectable returns the tables the role may select.
func (x *gen) selectable() []*Table {
	var out []*Table
	for _, t := range x.Schema.Tables {
		if x.role.CanSelect(t) {
			out = append(out, t)
		}
	}
	return out
}

func (x *gen) query() *Query {
	q := &Query{}
	n := 1 + x.weighted([]int{6, 3, 1})
	keys := map[string]bool{}
	for range n {
		t := pick(x, x.selectable())
		f := &Field{Table: t}
		switch k := x.rng.IntN(100); {
		case k < 22 && x.role.CanAggregate(t):
			f.Kind = KindAggregate
			f.Agg = x.aggSel(t, 0)
			f.Args = x.args(t, true, f.Agg.Nodes != nil)
		case k < 37:
			f.Kind = KindByPk
			for _, pk := range t.PK {
				f.PK = append(f.PK, x.pkValue(t, t.Column(pk)))
			}
			f.Sel = x.selection(t, 0)
		default:
			f.Kind = KindList
			f.Args = x.args(t, true, true)
			f.Sel = x.selection(t, 0)
		}
		x.alias(f, keys)
		q.Fields = append(q.Fields, f)
	}
	return q
}

// alias gives f an alias when its name is taken, and sometimes anyway.
func (x *gen) alias(f *Field, keys map[string]bool) {
	if keys[f.Name()] || x.chance(0.08) {
		for i := 1; ; i++ {
			a := "a" + strconv.Itoa(i) + "_" + f.Name()
			if !keys[a] {
				f.Alias = a
				break
			}
		}
	}
	keys[f.Key()] = true
}

func (x *gen) pkValue(t *Table, c *Column) *Value {
	v := &Value{Type: c.Type, Var: x.chance(0.3)}
	switch {
	case x.chance(0.08):
		v.Text = pick(x, []string{"0", "-3", "999999"})
	case x.session != "" && (t.Name == "customers" && x.role.Name == "customer" || t.Name == "employees") && x.chance(0.4):
		v.Text = x.session
	default:
		v.Text = pick(x, x.Samples.Values[t.Name+"."+c.Name])
	}
	return v
}

// bigTables are the tables large enough that selecting all their rows,
// with relationships, makes a slow case.
var bigTables = map[string]bool{"tracks": true, "invoice_lines": true, "playlist_track": true, "invoices": true}

// args returns the select arguments of a list or aggregate over t; rows
// is false for an aggregate without nodes.
func (x *gen) args(t *Table, root, rows bool) Args {
	var a Args
	// Rows of a big table, above all under the rows of another select,
	// make answers of megabytes and cases of minutes: they get a limit
	// (which needs an order), unless the role's limit caps them anyway.
	limitP := map[bool]float64{true: 0.5, false: 0.3}[root]
	if rows && bigTables[t.Name] && x.role.Limit(t) == 0 {
		limitP = 1
	}
	wantLimit := x.chance(limitP)
	if x.chance(map[bool]float64{true: 0.6, false: 0.3}[root]) {
		a.Where = x.boolExp(t, 0)
		a.WhereVar = root && x.chance(0.15)
	}
	// A role limit makes the rows an unordered select returns arbitrary:
	// such selects are always ordered, on a key, like any with limit,
	// offset or distinct_on.
	ordered := wantLimit || x.role.Limit(t) > 0 || x.chance(map[bool]float64{true: 0.7, false: 0.45}[root])
	if !ordered {
		return a
	}
	if x.chance(0.15) {
		vis := x.role.VisibleColumns(t)
		a.DistinctOn = []string{pick(x, vis).Name}
		if len(vis) > 1 && x.chance(0.3) {
			if c := pick(x, vis).Name; c != a.DistinctOn[0] {
				a.DistinctOn = append(a.DistinctOn, c)
			}
		}
		for _, c := range a.DistinctOn {
			a.OrderBy = append(a.OrderBy, &OrderItem{Column: c, Dir: x.dir()})
		}
	}
	for range x.rng.IntN(3) {
		a.OrderBy = append(a.OrderBy, x.orderItem(t, root))
	}
	// The key last: the order is total, so both sides agree on it.
	for _, pk := range t.PK {
		a.OrderBy = append(a.OrderBy, &OrderItem{Column: pk, Dir: pick(x, []string{"asc", "desc"})})
	}
	if wantLimit {
		a.Limit = &IntArg{N: x.weighted([]int{1, 4, 4, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}), Var: x.chance(0.3)}
		if x.chance(0.1) {
			a.Limit.N = 40 + x.rng.IntN(30) // around the customer's track limit
		}
	}
	if x.chance(0.25) {
		a.Offset = &IntArg{N: x.rng.IntN(12), Var: x.chance(0.3)}
		if x.chance(0.1) {
			a.Offset.N = 40 + x.rng.IntN(30)
		}
	}
	return a
}

func (x *gen) dir() string {
	return pick(x, []string{"asc", "desc", "asc", "desc", "asc_nulls_first", "asc_nulls_last", "desc_nulls_first", "desc_nulls_last"})
}

// orderItem returns a random order_by key of t other than its key.
// Keys through relationships are a subquery per row, all computed before
// a limit applies: under the rows of another select, over a big table,
// they make cases of minutes, so object relationship keys there are
// only for small tables and array aggregates only at the root.
func (x *gen) orderItem(t *Table, root bool) *OrderItem {
	o := &OrderItem{Dir: x.dir()}
	var objs, arrays []*Relationship
	for _, r := range t.Rels {
		switch {
		case !r.Array && x.role.CanSelect(r.To):
			objs = append(objs, r)
		case r.Array && x.role.CanAggregate(r.To) && root:
			arrays = append(arrays, r)
		}
	}
	switch k := x.rng.IntN(100); {
	case k < 15 && len(objs) > 0 && (root || !bigTables[t.Name]):
		o.Rel = pick(x, objs)
		o.Column = pick(x, x.role.VisibleColumns(o.Rel.To)).Name
	case k < 27 && len(arrays) > 0:
		o.Rel = pick(x, arrays)
		o.Fn = "count"
		if x.chance(0.4) {
			c := pick(x, x.role.VisibleColumns(o.Rel.To))
			o.Column = c.Name
			o.Fn = pick(x, []string{"max", "min"})
			if c.Type.Summable() && x.chance(0.5) {
				o.Fn = pick(x, []string{"sum", "avg"})
			}
		}
	default:
		o.Column = pick(x, x.role.VisibleColumns(t)).Name
	}
	return o
}

// selection returns a row selection of t at relationship depth depth.
func (x *gen) selection(t *Table, depth int) *Selection {
	s := &Selection{}
	keys := map[string]bool{}
	vis := x.role.VisibleColumns(t)
	n := 1 + x.weighted([]int{3, 4, 3, 2, 1})
	perm := x.rng.Perm(len(vis))
	for i := 0; i < n && i < len(perm); i++ {
		f := &Field{Kind: KindColumn, Column: vis[perm[i]].Name}
		x.alias(f, keys)
		s.Fields = append(s.Fields, f)
	}
	if depth < 3 {
		p := []float64{0.4, 0.3, 0.15}[depth]
		for _, r := range t.Rels {
			if !x.role.CanSelect(r.To) || !x.chance(p) {
				continue
			}
			f := &Field{Rel: r, Table: r.To}
			switch {
			case !r.Array:
				f.Kind = KindObject
				f.Sel = x.selection(r.To, depth+1)
			case x.role.CanAggregate(r.To) && x.chance(0.3):
				f.Kind = KindAggregate
				f.Agg = x.aggSel(r.To, depth+1)
				f.Args = x.args(r.To, false, f.Agg.Nodes != nil)
			default:
				f.Kind = KindList
				f.Args = x.args(r.To, false, true)
				f.Sel = x.selection(r.To, depth+1)
			}
			x.alias(f, keys)
			s.Fields = append(s.Fields, f)
		}
	}
	x.rng.Shuffle(len(s.Fields), func(i, j int) { s.Fields[i], s.Fields[j] = s.Fields[j], s.Fields[i] })
	switch k := x.rng.IntN(100); {
	case k < 10:
		s.Frag = FragNamed
	case k < 15:
		s.Frag = FragInline
	}
	return s
}

// aggSel returns the selection of a <t>_aggregate field.
func (x *gen) aggSel(t *Table, depth int) *AggSel {
	a := &AggSel{}
	vis := x.role.VisibleColumns(t)
	if x.chance(0.75) {
		a.Count = &CountSel{}
		if x.chance(0.3) {
			a.Count.Column = pick(x, vis).Name
			a.Count.Distinct = x.chance(0.5)
		}
	}
	for range x.weighted([]int{3, 3, 1}) {
		c := pick(x, vis)
		fn := pick(x, []string{"max", "min"})
		if c.Type.Summable() && x.chance(0.6) {
			fn = pick(x, []string{"sum", "sum", "avg"})
		}
		if slices.ContainsFunc(a.Ops, func(o *AggOp) bool { return o.Fn == fn }) {
			continue
		}
		op := &AggOp{Fn: fn, Columns: []string{c.Name}}
		if c2 := pick(x, vis); c2 != c && (fn == "max" || fn == "min" || c2.Type.Summable()) && x.chance(0.3) {
			op.Columns = append(op.Columns, c2.Name)
		}
		a.Ops = append(a.Ops, op)
	}
	if x.chance(0.4) || !a.HasAggregate() {
		a.Nodes = x.selection(t, depth)
	}
	return a
}

// boolExp returns a random where over t; depth bounds the nesting.
func (x *gen) boolExp(t *Table, depth int) *BoolExp {
	if depth == 0 && x.chance(0.35) {
		// Several keys in one object.
		b := &BoolExp{Op: BoolObj}
		keys := map[string]bool{}
		for range 2 + x.rng.IntN(2) {
			c := x.boolExp(t, depth+1)
			k := boolKey(c)
			if k == "" || keys[k] {
				continue
			}
			keys[k] = true
			b.Children = append(b.Children, c)
		}
		return b
	}
	leafP := []float64{0.45, 0.6, 0.8, 1}[min(depth, 3)]
	var rels, aggRels []*Relationship
	for _, r := range t.Rels {
		if x.role.CanSelect(r.To) {
			rels = append(rels, r)
		}
		if r.Array && x.role.CanAggregate(r.To) {
			aggRels = append(aggRels, r)
		}
	}
	switch k := x.rng.Float64(); {
	case k < leafP:
		return x.colExp(t)
	case k < leafP+0.2 && len(rels) > 0:
		r := pick(x, rels)
		sub := &BoolExp{Op: BoolTrue}
		if !x.chance(0.15) {
			sub = x.boolExp(r.To, depth+1)
		}
		return &BoolExp{Op: BoolRel, Rel: r, Sub: sub}
	case k < leafP+0.27 && len(aggRels) > 0:
		r := pick(x, aggRels)
		b := &BoolExp{Op: BoolAggCount, Rel: r, Pred: &Cmp{
			Op:    pick(x, []string{"_eq", "_neq", "_gt", "_lt", "_gte", "_lte"}),
			Value: &Value{Type: Int, Text: strconv.Itoa(x.rng.IntN(6)), Var: x.chance(0.2)},
		}}
		if x.chance(0.4) {
			b.Sub = x.boolExp(r.To, depth+1)
		}
		return b
	case k < leafP+0.34:
		return &BoolExp{Op: BoolNot, Children: []*BoolExp{x.boolExp(t, depth+1)}}
	case k < 0.98:
		b := &BoolExp{Op: pick(x, []BoolOp{BoolAnd, BoolOr})}
		for range x.weighted([]int{1, 3, 4, 2}) {
			b.Children = append(b.Children, x.boolExp(t, depth+1))
		}
		return b
	default:
		return &BoolExp{Op: BoolTrue}
	}
}

// boolKey is the key a node takes in a bool_exp object; "" for {}.
func boolKey(b *BoolExp) string {
	switch b.Op {
	case BoolAnd:
		return "_and"
	case BoolOr:
		return "_or"
	case BoolNot:
		return "_not"
	case BoolCol:
		return b.Column
	case BoolRel:
		return b.Rel.Name
	case BoolAggCount:
		return b.Rel.Name + "_aggregate"
	}
	return ""
}

// colExp returns comparisons on a visible column of t.
func (x *gen) colExp(t *Table) *BoolExp {
	c := pick(x, x.role.VisibleColumns(t))
	b := &BoolExp{Op: BoolCol, Column: c.Name}
	ops := []string{"_eq", "_neq", "_gt", "_lt", "_gte", "_lte", "_in", "_nin", "_is_null"}
	if c.Type == Text {
		ops = append(ops, "_like", "_nlike", "_ilike", "_nilike", "_like", "_ilike")
	}
	if c.Type == Int || c.Type == Numeric {
		ops = append(ops, "_eq", "_in")
	}
	used := map[string]bool{}
	for range 1 + x.weighted([]int{5, 2}) {
		op := pick(x, ops)
		if used[op] {
			continue
		}
		used[op] = true
		b.Cmps = append(b.Cmps, x.cmp(t, c, op))
	}
	return b
}

func (x *gen) cmp(t *Table, c *Column, op string) *Cmp {
	cmp := &Cmp{Op: op}
	switch op {
	case "_is_null":
		cmp.IsNull = x.chance(0.5)
	case "_in", "_nin":
		n := x.weighted([]int{1, 3, 3, 2, 1})
		asVar := x.chance(0.2) && !x.NoListItemVars
		cmp.ListVar = x.chance(0.2)
		for range n {
			v := x.value(t, c)
			v.Var = asVar
			cmp.Values = append(cmp.Values, v)
		}
	case "_like", "_nlike", "_ilike", "_nilike":
		cmp.Value = &Value{Type: Text, Text: x.pattern(t, c, op == "_ilike" || op == "_nilike"), Var: x.chance(0.2)}
	default:
		cmp.Value = x.value(t, c)
	}
	return cmp
}

// value returns a value for comparisons with column c of t: mostly one
// the column holds, the session's user id for the columns the filters
// compare with it, or one next to a real value.
func (x *gen) value(t *Table, c *Column) *Value {
	v := &Value{Type: c.Type, Var: x.chance(0.2)}
	samples := x.Samples.Values[t.Name+"."+c.Name]
	switch {
	case x.session != "" && c.Type == Int && (strings.HasSuffix(c.Name, "customer_id") || c.Name == "support_rep_id" || c.Name == "id") && x.chance(0.3):
		v.Text = x.session
	case len(samples) == 0:
		v.Text = map[ColType]string{Int: "1", Numeric: "1.5", Text: "x", Timestamp: "2010-01-01T00:00:00"}[c.Type]
	case c.Type == Int && x.chance(0.15):
		n, _ := strconv.Atoi(pick(x, samples))
		v.Text = strconv.Itoa(n + x.rng.IntN(5) - 2)
	default:
		v.Text = pick(x, samples)
	}
	if c.Type == Numeric {
		v.AsString = x.chance(0.3)
	}
	return v
}

// pattern returns a LIKE pattern cut from a value of the column.
func (x *gen) pattern(t *Table, c *Column, fold bool) string {
	s := []rune(strings.ReplaceAll(pick(x, x.Samples.Values[t.Name+"."+c.Name]), `\`, ""))
	if len(s) == 0 {
		return "%"
	}
	i := x.rng.IntN(len(s))
	j := min(len(s), i+1+x.rng.IntN(4))
	sub := s[i:j]
	if fold {
		for k, r := range sub {
			if x.chance(0.5) {
				sub[k] = unicode.ToUpper(r)
			} else {
				sub[k] = unicode.ToLower(r)
			}
		}
	}
	switch x.rng.IntN(4) {
	case 0:
		return string(sub) + "%"
	case 1:
		return "%" + string(sub)
	case 2:
		return string(s)
	default:
		return "%" + string(sub) + "%"
	}
}
