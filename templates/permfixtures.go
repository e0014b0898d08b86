package templates

// Rows for the generated permission tests (permtests.go): from a role's
// filter, the rows that satisfy it and the rows that do not, with the
// related rows a relationship filter needs. A world is the rows of one
// test; its columns are slots joined by the relationships' column pairs
// (a union-find), each slot constrained by the comparisons that touch it,
// and every slot left free gets a fresh value no comparison names.
//
// Only what can be derived for certain is: _eq, _neq, _in, _nin,
// _is_null, and _gt/_gte/_lt/_lte on integers, combined with _and, _or,
// _not and relationships. Anything else (_exists, column comparisons,
// computed fields, casts, pattern and JSON operators) makes the case "not
// derived", said in a comment of the generated test, never guessed.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
)

// notDerived is why rows could not be derived for a filter.
type notDerived string

func (e notDerived) Error() string { return string(e) }

// world is the rows of one test and their values.
type world struct {
	rows []*fixtureRow
	// next is the counter fresh values are drawn from.
	next int
	// session holds the session variables' values, once chosen.
	session map[string]string
	// slots is the union-find of column slots.
	slots []*slot
	// enums are the enum types' labels by schema.name.
	enums map[string][]string
	p     *model.Project
}

// fixtureRow is one row to insert.
type fixtureRow struct {
	table *model.Table
	// cols are the row's slots by column name.
	cols map[string]int
	// rels are the related rows, one per relationship followed; a nil
	// entry says the row has none.
	rels map[string]*fixtureRow
	// values are the resolved values' text, nil for NULL.
	values map[string]*string
	// deps are the rows its foreign keys reference, inserted before it;
	// fkDone says they were found.
	deps   []*fixtureRow
	fkDone bool
	// note says why the test inserts it, for a row the test asks about.
	note string
	// referenced says the row is there because a foreign key needs it: its
	// own nullable columns are NULL unless asked for, so that a chain of
	// references ends.
	referenced bool
}

// slot is a column's value: its constraints, or its parent in the
// union-find.
type slot struct {
	parent  int
	col     *model.Column
	eq      *string
	ne      []string
	null    bool
	notNull bool
	// value is the slot's value once resolved (nil for NULL).
	value    *string
	resolved bool
}

func newWorld(p *model.Project) *world {
	w := &world{next: 1001, session: map[string]string{}, enums: map[string][]string{}, p: p}
	if p.DB != nil {
		for _, e := range p.DB.Enums {
			w.enums[e.Schema+"."+e.Name] = e.Labels
		}
	}
	return w
}

// row adds a row of t with every column a fresh slot.
func (w *world) row(t *model.Table) *fixtureRow {
	r := &fixtureRow{table: t, cols: map[string]int{}, rels: map[string]*fixtureRow{}}
	for _, c := range t.Columns {
		w.slots = append(w.slots, &slot{parent: len(w.slots), col: c})
		r.cols[c.Name] = len(w.slots) - 1
	}
	w.rows = append(w.rows, r)
	return r
}

func (w *world) find(i int) int {
	for w.slots[i].parent != i {
		i = w.slots[i].parent
	}
	return i
}

// union joins two slots, merging their constraints.
func (w *world) union(a, b int) error {
	a, b = w.find(a), w.find(b)
	if a == b {
		return nil
	}
	sb := w.slots[b]
	w.slots[b].parent = a
	sa := w.slots[a]
	if sb.eq != nil {
		if err := w.constrain(a, eqOf(*sb.eq)); err != nil {
			return err
		}
	}
	for _, v := range sb.ne {
		if err := w.constrain(a, neOf(v)); err != nil {
			return err
		}
	}
	if sb.null {
		if err := w.constrain(a, cons{null: true}); err != nil {
			return err
		}
	}
	if sb.notNull {
		sa.notNull = true
		if sa.null {
			return notDerived("a column must be both NULL and not NULL")
		}
	}
	return nil
}

// cons is one constraint on a slot.
type cons struct {
	eq      *string
	ne      *string
	null    bool
	notNull bool
}

func eqOf(v string) cons { return cons{eq: &v, notNull: true} }
func neOf(v string) cons { return cons{ne: &v, notNull: true} }

// constrain adds c to slot i, failing when they contradict.
func (w *world) constrain(i int, c cons) error {
	s := w.slots[w.find(i)]
	bad := notDerived(fmt.Sprintf("column %s would need contradictory values", s.col.Name))
	if s.resolved {
		// Its row is written already: c must hold of its value.
		v := s.value
		if (c.eq != nil && (v == nil || *v != *c.eq)) || (c.ne != nil && (v == nil || *v == *c.ne)) || (c.null && v != nil) || (c.notNull && v == nil) {
			return bad
		}
		return nil
	}
	switch {
	case c.eq != nil:
		if (s.eq != nil && *s.eq != *c.eq) || slices.Contains(s.ne, *c.eq) || s.null {
			return bad
		}
		s.eq = c.eq
	case c.ne != nil:
		if s.eq != nil && *s.eq == *c.ne {
			return bad
		}
		s.ne = append(s.ne, *c.ne)
	case c.null:
		if s.eq != nil || s.notNull || s.col.NotNull {
			return bad
		}
		s.null = true
	}
	if c.notNull {
		if s.null {
			return bad
		}
		s.notNull = true
	}
	return nil
}

// satisfy constrains r so that e holds on it; violate so that it does not.
func (w *world) satisfy(e metadata.BoolExp, r *fixtureRow) error { return w.holds(e, r, true) }
func (w *world) violate(e metadata.BoolExp, r *fixtureRow) error { return w.holds(e, r, false) }

func (w *world) holds(e metadata.BoolExp, r *fixtureRow, want bool) error {
	switch e := e.(type) {
	case *metadata.And:
		if want {
			for _, x := range e.Exprs {
				if err := w.satisfy(x, r); err != nil {
					return err
				}
			}
			return nil
		}
		if len(e.Exprs) == 0 {
			return notDerived("{} holds for every row")
		}
		return w.violate(e.Exprs[0], r)
	case *metadata.Or:
		if !want {
			for _, x := range e.Exprs {
				if err := w.violate(x, r); err != nil {
					return err
				}
			}
			return nil
		}
		if len(e.Exprs) == 0 {
			return notDerived("_or: [] holds for no row")
		}
		return w.satisfy(e.Exprs[0], r)
	case *metadata.Not:
		return w.holds(e.Expr, r, !want)
	case *metadata.Compare:
		return w.compare(e, r, want)
	case *metadata.Related:
		return w.related(e, r, want)
	case *metadata.Exists:
		return notDerived("_exists: rows of an unrelated table")
	case *metadata.CompareColumns:
		return notDerived(string(e.Op) + ": a comparison between columns")
	}
	return notDerived(fmt.Sprintf("%T", e))
}

// related follows a relationship: the row gets one related row, which
// satisfies (or violates) the relationship's filter. An empty filter is
// violated by having no related row.
func (w *world) related(e *metadata.Related, r *fixtureRow, want bool) error {
	name := e.Relationship.Name
	var rel *model.Relationship
	for _, x := range r.table.Relationships {
		if x.Name == name {
			rel = x
		}
	}
	if rel == nil {
		return notDerived("relationship " + name + " is not in the model")
	}
	if and, ok := e.Where.(*metadata.And); ok && len(and.Exprs) == 0 && !want {
		if child, ok := r.rels[name]; ok && child != nil {
			return notDerived("relationship " + name + " must both have and lack a row")
		}
		r.rels[name] = nil
		return nil
	}
	child, ok := r.rels[name]
	if ok && child == nil {
		return notDerived("relationship " + name + " must both have and lack a row")
	}
	if !ok {
		child = w.row(rel.Remote)
		r.rels[name] = child
		for _, p := range rel.Mapping {
			li, lok := r.cols[p.Local]
			ri, rok := child.cols[p.Remote]
			if !lok || !rok {
				return notDerived("relationship " + name + " joins on a column hasgen does not track")
			}
			if err := w.union(li, ri); err != nil {
				return err
			}
			if err := w.constrain(li, cons{notNull: true}); err != nil {
				return err
			}
		}
	}
	return w.holds(e.Where, child, want)
}

// compare constrains the column of a comparison.
func (w *world) compare(e *metadata.Compare, r *fixtureRow, want bool) error {
	if e.Computed != nil || e.Cast != "" {
		return notDerived("comparison of a computed field or a cast column")
	}
	c := r.table.Column(e.Column)
	i, ok := r.cols[e.Column]
	if c == nil || !ok {
		return notDerived("column " + e.Column + " is not in the model")
	}
	k := w.kindOf(c)
	if k.name == "" {
		return notDerived(fmt.Sprintf("values of column %s (%s) are not generated", c.Name, c.Base.SQL))
	}
	if e.Op == metadata.OpIsNull {
		b, _ := e.Value.(*metadata.Literal)
		isNull, ok := b.Value.(bool)
		if b == nil || !ok {
			return notDerived("_is_null with a session variable")
		}
		if isNull == want {
			return w.constrain(i, cons{null: true})
		}
		return w.constrain(i, cons{notNull: true})
	}
	var vals []string
	switch v := e.Value.(type) {
	case *metadata.SessionVar:
		if e.Op == metadata.OpIn || e.Op == metadata.OpNin {
			return notDerived("_in/_nin with a session variable")
		}
		s, err := w.sessionValue(v.Name, k)
		if err != nil {
			return err
		}
		vals = []string{s}
	case *metadata.Literal:
		list, isList := v.Value.([]any)
		if !isList {
			list = []any{v.Value}
		}
		for _, x := range list {
			s, ok := fixtureText(x)
			if !ok {
				return notDerived(fmt.Sprintf("the value %v of %s", x, e.Op))
			}
			vals = append(vals, s)
		}
	}
	if len(vals) == 0 {
		return notDerived(string(e.Op) + " with an empty list")
	}
	switch e.Op {
	case metadata.OpEq, metadata.OpIn, metadata.OpNeq, metadata.OpNin:
		if (e.Op == metadata.OpEq || e.Op == metadata.OpIn) == want {
			return w.constrain(i, eqOf(vals[0]))
		}
		// NULL satisfies neither _eq nor _neq: the row gets another value.
		for _, v := range vals {
			if err := w.constrain(i, neOf(v)); err != nil {
				return err
			}
		}
		return nil
	case metadata.OpGt, metadata.OpGte, metadata.OpLt, metadata.OpLte:
		n, err := strconv.ParseInt(vals[0], 10, 64)
		if (k.name != "int" && k.name != "number") || err != nil {
			return notDerived(string(e.Op) + " on a column other than a number, or with a value other than an integer")
		}
		// The value just inside the range, or just outside.
		in := map[metadata.Op]int64{metadata.OpGt: n + 1, metadata.OpGte: n, metadata.OpLt: n - 1, metadata.OpLte: n}[e.Op]
		out := map[metadata.Op]int64{metadata.OpGt: n, metadata.OpGte: n - 1, metadata.OpLt: n, metadata.OpLte: n + 1}[e.Op]
		if want {
			return w.constrain(i, eqOf(strconv.FormatInt(in, 10)))
		}
		return w.constrain(i, eqOf(strconv.FormatInt(out, 10)))
	}
	return notDerived("operator " + string(e.Op))
}

// fixtureText is a literal's text as Postgres reads it.
func fixtureText(v any) (string, bool) {
	switch v := v.(type) {
	case json.Number:
		return string(v), true
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// sessionValue is the value of a session variable in the test, chosen on
// its first use for the type of the column it is compared with: 1 (or its
// form in the type) is the session's; rows of others get other values.
func (w *world) sessionValue(name string, k kind) (string, error) {
	if v, ok := w.session[name]; ok {
		return v, nil
	}
	var v string
	switch k.name {
	case "int", "number":
		v = "1"
	case "uuid":
		v = "00000000-0000-4000-8000-000000000001"
	case "text":
		v = "session-1"
	case "char":
		v = "s1"
	default:
		return "", notDerived(fmt.Sprintf("session variable %s compared with a %s column", name, k.name))
	}
	w.session[name] = v
	return v, nil
}

// kind is how values of a column are made.
type kind struct {
	// name is one of int, number, text, char, bool, uuid, enum,
	// enumtable, time, date, json, array; "" when hasgen does not make
	// values of the type.
	name string
	// size bounds a char's length.
	size int
	// labels are an enum's.
	labels []string
}

var sizeRE = regexp.MustCompile(`\((\d+)\)$`)

// kindOf classifies a column's type.
func (w *world) kindOf(c *model.Column) kind {
	t := c.Base.Scalar()
	if c.Enum != nil {
		// A column typed by an enum table: its values are the table's,
		// GraphQL enum values.
		k := kind{name: "enumtable"}
		for _, v := range c.Enum.EnumValues {
			k.labels = append(k.labels, v.Name)
		}
		return k
	}
	if t.Dims > 0 || strings.HasSuffix(t.SQL, "[]") {
		return kind{name: "array"}
	}
	switch t.Name {
	case "int2", "int4", "int8":
		return kind{name: "int"}
	case "numeric", "float4", "float8":
		return kind{name: "number"}
	case "text", "citext", "name":
		return kind{name: "text"}
	case "varchar", "bpchar":
		if m := sizeRE.FindStringSubmatch(t.SQL); m != nil {
			n, _ := strconv.Atoi(m[1])
			return kind{name: "char", size: n}
		}
		return kind{name: "text"}
	case "bool":
		return kind{name: "bool"}
	case "uuid":
		return kind{name: "uuid"}
	case "timestamptz", "timestamp":
		return kind{name: "time"}
	case "date":
		return kind{name: "date"}
	case "json", "jsonb":
		return kind{name: "json"}
	}
	if t.Kind == introspect.TypeEnum {
		return kind{name: "enum", labels: w.enums[t.Schema+"."+t.Name]}
	}
	return kind{}
}

// fresh is a value of slot s's column that no constraint on it names.
func (w *world) fresh(s *slot) (string, error) {
	k := w.kindOf(s.col)
	for range 1000 {
		n := w.next
		w.next++
		var v string
		switch k.name {
		case "int", "number":
			v = strconv.Itoa(n)
		case "text":
			v = fmt.Sprintf("%s %d", s.col.Name, n)
		case "char":
			v = fmt.Sprintf("%s %d", s.col.Name, n)
			if len(v) > k.size {
				v = strconv.FormatInt(int64(n), 36)
			}
			if len(v) > k.size {
				v = v[len(v)-k.size:]
			}
		case "bool":
			v = []string{"true", "false"}[n%2]
		case "uuid":
			v = fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
		case "enum", "enumtable":
			if len(k.labels) == 0 {
				return "", notDerived("enum " + s.col.Base.SQL + " has no labels")
			}
			v = k.labels[n%len(k.labels)]
		case "time":
			v = fmt.Sprintf("2024-01-01 00:00:%02d+00", n%60)
		case "date":
			v = fmt.Sprintf("2024-01-%02d", 1+n%28)
		case "json":
			v = "{}"
		case "array":
			v = "{}"
		default:
			return "", notDerived(fmt.Sprintf("values of column %s (%s) are not generated", s.col.Name, s.col.Base.SQL))
		}
		if !slices.Contains(s.ne, v) {
			return v, nil
		}
	}
	return "", notDerived("no value of column " + s.col.Name + " is left")
}

// resolve gives every row not yet resolved its values, then the rows its
// foreign keys reference.
func (w *world) resolve() error {
	for _, r := range w.rows {
		if err := w.resolveRow(r); err != nil {
			return err
		}
	}
	if err := w.references(); err != nil {
		return err
	}
	// Two rows of a table with one key would be one row.
	seen := map[string]bool{}
	for _, r := range w.rows {
		if len(r.table.PrimaryKey) == 0 {
			continue
		}
		k := r.table.Qualified() + ":" + strings.Join(r.key(), ",")
		if seen[k] {
			return notDerived("two rows of " + r.table.Qualified() + " would have the same key")
		}
		seen[k] = true
	}
	return nil
}

// resolveRow gives every slot of r its value: its constraint's, NULL, or
// fresh. A nullable column nothing asks for gets a value too, so that its
// relationships have a row to join. Slots joined with another row's keep
// the value they got there.
func (w *world) resolveRow(r *fixtureRow) error {
	if r.values != nil {
		return nil
	}
	r.values = map[string]*string{}
	for _, c := range r.table.Columns {
		// Every column gets a value: sql/schema.sql has no defaults,
		// identities or generated columns.
		s := w.slots[w.find(r.cols[c.Name])]
		if s.resolved {
			r.values[c.Name] = s.value
			continue
		}
		switch {
		case s.eq != nil:
			s.value = s.eq
		case s.null:
		case r.referenced && !s.notNull && !s.col.NotNull && !slices.Contains(r.table.PrimaryKey, c):
		default:
			f, err := w.fresh(s)
			if err != nil {
				return err
			}
			s.value = &f
		}
		s.resolved = true
		r.values[c.Name] = s.value
	}
	return nil
}

// maxRows bounds a test's rows: foreign keys in a cycle of NOT NULL
// columns would ask for rows without end.
const maxRows = 200

// references gives every row the rows its foreign keys reference: one of
// the world's with those values, or a new one (resolved in turn).
func (w *world) references() error {
	for i := 0; i < len(w.rows); i++ {
		r := w.rows[i]
		if r.fkDone || r.values == nil || r.table.DB == nil {
			continue
		}
		r.fkDone = true
		for _, fk := range r.table.DB.ForeignKeys {
			ref := w.p.Table(fk.RefSchema, fk.RefTable)
			if ref == nil {
				continue
			}
			want := map[string]string{}
			for j, c := range fk.Columns {
				if v := r.values[c]; v != nil {
					want[fk.RefColumns[j]] = *v
				}
			}
			if len(want) < len(fk.Columns) {
				continue // a NULL references nothing
			}
			for name, child := range r.rels {
				if child != nil {
					continue
				}
				for _, rel := range r.table.Relationships {
					if rel.Name == name && !rel.Array && sameColumns(rel.Mapping, fk.Columns) {
						return notDerived("relationship " + name + " must have no row, but its foreign key " + fk.Name + " needs one")
					}
				}
			}
			x := w.find1(ref, want)
			if x == nil {
				if len(w.rows) > maxRows {
					return notDerived("the foreign keys ask for more than " + strconv.Itoa(maxRows) + " rows")
				}
				x = w.row(ref)
				x.referenced = true
				for c, v := range want {
					if err := w.constrain(x.cols[c], eqOf(v)); err != nil {
						return err
					}
				}
				if err := w.resolveRow(x); err != nil {
					return err
				}
			}
			if x != r {
				r.deps = append(r.deps, x)
			}
		}
	}
	return nil
}

func sameColumns(m []metadata.ColumnPair, cols []string) bool {
	if len(m) != len(cols) {
		return false
	}
	for _, p := range m {
		if !slices.Contains(cols, p.Local) {
			return false
		}
	}
	return true
}

// find1 is a resolved row of t with the values want, or nil.
func (w *world) find1(t *model.Table, want map[string]string) *fixtureRow {
next:
	for _, x := range w.rows {
		if x.table != t || x.values == nil {
			continue
		}
		for c, v := range want {
			if x.values[c] == nil || *x.values[c] != v {
				continue next
			}
		}
		return x
	}
	return nil
}

// inserts is the rows in an order their foreign keys accept: every row
// after those it references.
func (w *world) inserts() []*fixtureRow {
	var out []*fixtureRow
	done := map[*fixtureRow]bool{}
	var visit func(r *fixtureRow, depth int)
	visit = func(r *fixtureRow, depth int) {
		if done[r] || depth > len(w.rows) {
			return
		}
		for _, d := range r.deps {
			visit(d, depth+1)
		}
		if !done[r] {
			done[r] = true
			out = append(out, r)
		}
	}
	for _, r := range w.rows {
		visit(r, 0)
	}
	return out
}

// key is the row's primary-key values' text.
func (r *fixtureRow) key() []string {
	out := make([]string, len(r.table.PrimaryKey))
	for i, c := range r.table.PrimaryKey {
		if v := r.values[c.Name]; v != nil {
			out[i] = *v
		}
	}
	return out
}

// parent returns the row of rel's table that rel leads from to r: one
// already in the world with r's values in the mapped columns, or a new
// one. rel is a relationship of parent's table whose remote table is r's.
func (w *world) parent(t *model.Table, rel *model.Relationship, r *fixtureRow) (*fixtureRow, error) {
	want := map[string]string{}
	for _, p := range rel.Mapping {
		v := r.values[p.Remote]
		if v == nil {
			return nil, notDerived("the row has no " + p.Remote + " to join on")
		}
		want[p.Local] = *v
	}
	if x := w.find1(t, want); x != nil {
		return x, nil
	}
	x := w.row(t)
	for c, v := range want {
		if err := w.constrain(x.cols[c], eqOf(v)); err != nil {
			return nil, err
		}
	}
	return x, w.resolve()
}
