package permdiff

import (
	"testing"
)

func TestCompare(t *testing.T) {
	albums, tracks := miniSchema()
	unordered := &Query{Fields: []*Field{{Kind: KindList, Table: tracks, Sel: &Selection{Fields: []*Field{
		{Kind: KindColumn, Column: "id"},
		{Kind: KindObject, Rel: tracks.Rels[0], Table: albums, Sel: columns("title")},
	}}}}}
	ordered := unordered.Clone()
	ordered.Fields[0].Args.OrderBy = []*OrderItem{{Column: "id", Dir: "asc"}}
	aggregate := &Query{Fields: []*Field{{Kind: KindAggregate, Table: tracks, Agg: &AggSel{Count: &CountSel{}, Nodes: columns("id")}}}}
	cases := []struct {
		name     string
		q        *Query
		ref, srv string
		diff     string // "" when equal
	}{
		{"same", unordered, `{"tracks": [{"id": 1, "album": null}]}`, `{"tracks":[{"album":null,"id":1}]}`, ""},
		{"numbers_as_decimals", unordered, `{"tracks": [{"id": 1.990, "album": null}]}`, `{"tracks": [{"id": 1.99, "album": null}]}`, ""},
		{"number_is_not_string", unordered, `{"tracks": [{"id": 1, "album": null}]}`, `{"tracks": [{"id": "1", "album": null}]}`,
			`$.tracks[0].id: reference #1, server "1"`},
		{"unordered_rows_sorted", unordered, `{"tracks": [{"id": 1, "album": null}, {"id": 2, "album": null}]}`, `{"tracks": [{"id": 2, "album": null}, {"id": 1, "album": null}]}`, ""},
		{"ordered_rows_not", ordered, `{"tracks": [{"id": 1, "album": null}, {"id": 2, "album": null}]}`, `{"tracks": [{"id": 2, "album": null}, {"id": 1, "album": null}]}`,
			`$.tracks[0]: same rows, another order: reference {"album":null,"id":#1}, server {"album":null,"id":#2}`},
		{"leaked_row", unordered, `{"tracks": [{"id": 1, "album": null}]}`, `{"tracks": [{"id": 1, "album": null}, {"id": 2, "album": {"title": "x"}}]}`,
			"$.tracks: 1 rows in the reference, 2 from the server\n" + `$.tracks[1]: + only from the server: {"album":{"title":"x"},"id":#2}`},
		{"hidden_object_row", unordered, `{"tracks": [{"id": 3, "album": null}, {"id": 1, "album": null}]}`, `{"tracks": [{"id": 1, "album": null}, {"id": 3, "album": {"title": "x"}}]}`,
			`$.tracks[1].album: reference null, server {"title":"x"}`},
		{"aggregate_nodes_unordered", aggregate, `{"tracks_aggregate": {"aggregate": {"count": 2}, "nodes": [{"id": 1}, {"id": 2}]}}`, `{"tracks_aggregate": {"nodes": [{"id": 2}, {"id": 1}], "aggregate": {"count": 2}}}`, ""},
		{"aggregate_count", aggregate, `{"tracks_aggregate": {"aggregate": {"count": 57}, "nodes": []}}`, `{"tracks_aggregate": {"aggregate": {"count": 50}, "nodes": []}}`,
			`$.tracks_aggregate.aggregate.count: reference #57, server #50`},
		{"missing_key", aggregate, `{"tracks_aggregate": {"aggregate": {"count": 1}, "nodes": []}}`, `{"tracks_aggregate": {"nodes": []}}`,
			`$.tracks_aggregate.aggregate: only the reference has it: {"count":#1}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref, err := Normalize([]byte(c.ref), c.q)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := Normalize([]byte(c.srv), c.q)
			if err != nil {
				t.Fatal(err)
			}
			if eq := Equal(ref, srv); eq != (c.diff == "") {
				t.Errorf("Equal = %v", eq)
			}
			if d := Diff(ref, srv); d != c.diff {
				t.Errorf("Diff:\n%s\nwant:\n%s", d, c.diff)
			}
		})
	}
}
