package permdiff

import (
	"strings"
	"testing"
)

// miniSchema is albums and tracks with their relationships, enough for
// tests that need no database.
func miniSchema() (albums, tracks *Table) {
	albums = &Table{Name: "albums", PK: []string{"id"}, Columns: []*Column{
		{Name: "id", Type: Int}, {Name: "title", Type: Text}, {Name: "artist_id", Type: Int},
	}}
	tracks = &Table{Name: "tracks", PK: []string{"id"}, Columns: []*Column{
		{Name: "id", Type: Int}, {Name: "name", Type: Text}, {Name: "album_id", Type: Int, Nullable: true},
		{Name: "unit_price", Type: Numeric},
	}}
	albums.Rels = []*Relationship{{Name: "tracks", Array: true, From: albums, To: tracks, Local: "id", Remote: "album_id"}}
	tracks.Rels = []*Relationship{{Name: "album", From: tracks, To: albums, Local: "album_id", Remote: "id"}}
	return albums, tracks
}

func columns(names ...string) *Selection {
	s := &Selection{}
	for _, n := range names {
		s.Fields = append(s.Fields, &Field{Kind: KindColumn, Column: n})
	}
	return s
}

func TestRender(t *testing.T) {
	albums, tracks := miniSchema()
	cases := []struct {
		name      string
		q         *Query
		query     string // the document with whitespace collapsed
		variables string
	}{
		{
			name:  "columns_and_object_relationship",
			q:     &Query{Fields: []*Field{{Kind: KindList, Table: tracks, Sel: &Selection{Fields: []*Field{{Kind: KindColumn, Column: "id"}, {Kind: KindObject, Rel: tracks.Rels[0], Table: albums, Sel: columns("title")}}}}}},
			query: `query permdiff { tracks { id album { title } } }`,
		},
		{
			name: "arguments_inline",
			q: &Query{Fields: []*Field{{Kind: KindList, Table: tracks, Alias: "a1_tracks", Sel: columns("id"), Args: Args{
				Where: &BoolExp{Op: BoolObj, Children: []*BoolExp{
					{Op: BoolCol, Column: "name", Cmps: []*Cmp{{Op: "_like", Value: &Value{Type: Text, Text: `a"b%`}}}},
					{Op: BoolCol, Column: "unit_price", Cmps: []*Cmp{{Op: "_in", Values: []*Value{{Type: Numeric, Text: "0.99"}, {Type: Numeric, Text: "1.99", AsString: true}}}}},
					{Op: BoolRel, Rel: tracks.Rels[0], Sub: &BoolExp{Op: BoolTrue}},
				}},
				OrderBy:    []*OrderItem{{Column: "name", Dir: "desc"}, {Rel: tracks.Rels[0], Column: "title", Dir: "asc_nulls_first"}, {Column: "id", Dir: "asc"}},
				DistinctOn: []string{"name"},
				Limit:      &IntArg{N: 3},
				Offset:     &IntArg{N: 1},
			}}}},
			query: `query permdiff { a1_tracks: tracks(where: {name: {_like: "a\"b%"}, unit_price: {_in: [0.99, "1.99"]}, album: {}}, order_by: [{name: desc}, {album: {title: asc_nulls_first}}, {id: asc}], distinct_on: name, limit: 3, offset: 1) { id } }`,
		},
		{
			name: "variables",
			q: &Query{Fields: []*Field{{Kind: KindList, Table: tracks, Sel: columns("id"), Args: Args{
				Where: &BoolExp{Op: BoolAnd, Children: []*BoolExp{
					{Op: BoolCol, Column: "id", Cmps: []*Cmp{{Op: "_gt", Value: &Value{Type: Int, Text: "7", Var: true}}}},
					{Op: BoolCol, Column: "id", Cmps: []*Cmp{{Op: "_nin", Values: []*Value{{Type: Int, Text: "1", Var: true}}}}},
					{Op: BoolCol, Column: "id", Cmps: []*Cmp{{Op: "_in", ListVar: true, Values: []*Value{{Type: Int, Text: "2"}, {Type: Int, Text: "3"}}}}},
				}},
				Limit: &IntArg{N: 5, Var: true},
			}}}},
			query:     `query permdiff($v1: Int, $v2: Int!, $v3: [Int!], $v4: Int) { tracks(where: {_and: [{id: {_gt: $v1}}, {id: {_nin: [$v2]}}, {id: {_in: $v3}}]}, limit: $v4) { id } }`,
			variables: `{"v1": 7, "v2": 1, "v3": [2, 3], "v4": 5}`,
		},
		{
			// A where passed whole holds its values inline, variables or not.
			name: "where_variable",
			q: &Query{Fields: []*Field{{Kind: KindList, Table: tracks, Sel: columns("id"), Args: Args{WhereVar: true,
				Where: &BoolExp{Op: BoolNot, Children: []*BoolExp{{Op: BoolCol, Column: "name", Cmps: []*Cmp{{Op: "_eq", Value: &Value{Type: Text, Text: "x", Var: true}}}}}},
			}}}},
			query:     `query permdiff($v1: tracks_bool_exp) { tracks(where: $v1) { id } }`,
			variables: `{"v1": {"_not": {"name": {"_eq": "x"}}}}`,
		},
		{
			name: "aggregate_and_by_pk",
			q: &Query{Fields: []*Field{
				{Kind: KindAggregate, Table: albums, Agg: &AggSel{Count: &CountSel{Column: "artist_id", Distinct: true}, Ops: []*AggOp{{Fn: "max", Columns: []string{"title", "id"}}}, Nodes: columns("id")}},
				{Kind: KindByPk, Table: albums, PK: []*Value{{Type: Int, Text: "4", Var: true}}, Sel: &Selection{Fields: []*Field{
					{Kind: KindAggregate, Rel: albums.Rels[0], Table: tracks, Agg: &AggSel{Count: &CountSel{}}, Args: Args{Where: &BoolExp{Op: BoolOr}}},
				}}},
			}},
			query:     `query permdiff($v1: Int!) { albums_aggregate { aggregate { count(columns: artist_id, distinct: true) max { title id } } nodes { id } } albums_by_pk(id: $v1) { tracks_aggregate(where: {_or: []}) { aggregate { count } } } }`,
			variables: `{"v1": 4}`,
		},
		{
			name: "fragments",
			q: &Query{Fields: []*Field{{Kind: KindList, Table: albums, Sel: &Selection{Frag: FragNamed, Fields: []*Field{
				{Kind: KindColumn, Column: "id"},
				{Kind: KindList, Rel: albums.Rels[0], Table: tracks, Sel: &Selection{Frag: FragInline, Fields: columns("name").Fields}},
			}}}}},
			query: `query permdiff { albums { id ...F1 } } fragment F1 on albums { tracks { ... on tracks { name } } }`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Render(c.q)
			if q := strings.Join(strings.Fields(got.Query), " "); q != c.query {
				t.Errorf("query:\n got %s\nwant %s", q, c.query)
			}
			if string(got.Variables) != c.variables {
				t.Errorf("variables:\n got %s\nwant %s", got.Variables, c.variables)
			}
		})
	}
}
