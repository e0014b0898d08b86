package permdiff

import (
	"strings"
	"testing"
)

// TestReduce checks the reductions the shrinker tries on a query: each
// changes the query, none breaks what makes answers comparable (a select
// with limit, offset or distinct_on keeps its key at the end of order_by),
// and the query they start from is left alone.
func TestReduce(t *testing.T) {
	albums, tracks := miniSchema()
	role := &Role{Name: "customer", Perms: map[string]*Permission{"albums": {}, "tracks": {Limit: 50}}}
	q := &Query{Fields: []*Field{
		{Kind: KindList, Table: albums, Alias: "a", Sel: &Selection{Frag: FragNamed, Fields: []*Field{
			{Kind: KindColumn, Column: "id"},
			{Kind: KindList, Rel: albums.Rels[0], Table: tracks, Sel: columns("name", "id"), Args: Args{
				OrderBy: []*OrderItem{{Column: "name", Dir: "asc"}, {Column: "id", Dir: "desc"}},
				Limit:   &IntArg{N: 3, Var: true},
			}},
		}}, Args: Args{
			Where: &BoolExp{Op: BoolOr, Children: []*BoolExp{
				{Op: BoolCol, Column: "id", Cmps: []*Cmp{{Op: "_in", Values: []*Value{{Type: Int, Text: "1"}, {Type: Int, Text: "2", Var: true}}}}},
				{Op: BoolRel, Rel: albums.Rels[0], Sub: &BoolExp{Op: BoolCol, Column: "name", Cmps: []*Cmp{{Op: "_like", Value: &Value{Type: Text, Text: "%a%"}}}}},
			}},
			OrderBy:    []*OrderItem{{Column: "title", Dir: "asc"}, {Column: "id", Dir: "asc"}},
			DistinctOn: []string{"title"},
			Offset:     &IntArg{N: 2},
		}},
		{Kind: KindAggregate, Table: tracks, Agg: &AggSel{Count: &CountSel{Column: "album_id"}, Ops: []*AggOp{{Fn: "sum", Columns: []string{"id", "unit_price"}}}, Nodes: columns("id")},
			Args: Args{OrderBy: []*OrderItem{{Column: "id", Dir: "asc"}}}},
	}}
	orig := Render(q)
	n := 0
	for k := 0; ; k++ {
		c := q.Clone()
		if !reduce(c, role, k) {
			break
		}
		n++
		got := Render(c)
		if got.Query == orig.Query && string(got.Variables) == string(orig.Variables) {
			t.Errorf("reduction %d changes nothing", k)
		}
		walkFields(c, func(f *Field) {
			a := f.Args
			if f.Kind == KindColumn || f.Kind == KindObject || f.Kind == KindByPk {
				return
			}
			if a.Limit == nil && a.Offset == nil && len(a.DistinctOn) == 0 && role.Limit(f.Table) == 0 {
				return
			}
			if len(a.OrderBy) == 0 || a.OrderBy[len(a.OrderBy)-1].Column != "id" || a.OrderBy[len(a.OrderBy)-1].Rel != nil {
				t.Errorf("reduction %d leaves %s without its key last in order_by:\n%s", k, f.Key(), got.Query)
			}
		})
	}
	if after := Render(q); after.Query != orig.Query || string(after.Variables) != string(orig.Variables) {
		t.Errorf("reductions changed the original query:\n%s", after.Query)
	}
	// Whole fields come before details: the first reduction drops a root
	// field.
	c := q.Clone()
	reduce(c, role, 0)
	if len(c.Fields) != 1 {
		t.Errorf("first reduction: %d root fields, want 1", len(c.Fields))
	}
	if n < 25 || strings.Count(orig.Query, "\n") < 10 {
		t.Errorf("%d reductions of\n%s", n, orig.Query)
	}
}
