package runtime_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzCompile sends random where and order_by variables for tracks, as
// admin and as a role with filters: the engine must answer data or a
// Hasura-shaped error, never panic and never send SQL Postgres cannot
// parse (code "unexpected"). go test runs the seeds; go test -fuzz
// FuzzCompile explores.
func FuzzCompile(f *testing.F) {
	for _, s := range [][2]string{
		{`{"id": {"_eq": 1}}`, `{"id": "asc"}`},
		{`{"_and": [], "_or": [{"name": {"_like": "%a%"}}], "_not": {}}`, `[{"album": {"title": "desc"}}, {"id": "asc_nulls_first"}]`},
		{`{"album": {"artist": {"albums": {"tracks_aggregate": {"count": {"predicate": {"_gt": 1}}}}}}}`, `{"invoice_lines_aggregate": {"count": "desc", "max": {"unit_price": "asc"}}}`},
		{`{"invoice_lines": {"invoice": {"customer_id": {"_in": [1, "2"]}}}}`, `{"genre": {"name": null}}`},
		{`{"unit_price": {"_gte": "0.99", "_in": []}, "composer": {"_is_null": true}}`, `[]`},
		{`{"name": {"_regex": "("}}`, `{"milliseconds": "sideways"}`},
		{`{"nope": {}}`, `{"id": 1}`},
		{`{"id": {"_eq": null}}`, `null`},
		{`{"id": {"_eq": "'; DROP TABLE tracks; --"}}`, `{"name\"": "asc"}`},
		{`[{"id": {"_lt": 3}}]`, `{"playlist_tracks_aggregate": {"sum": {"track_id": "desc"}}}`},
	} {
		f.Add(s[0], s[1])
	}
	e := newTestEngine(f, "chinook-bench", chinookConfig, false)
	q := `query ($w: tracks_bool_exp, $o: [tracks_order_by!]) { tracks(where: $w, order_by: $o, limit: 3) { id album { title } } tracks_aggregate(where: $w) { aggregate { count } } }`
	f.Fuzz(func(t *testing.T, where, order string) {
		if !json.Valid([]byte(where)) || !json.Valid([]byte(order)) {
			return
		}
		vars := map[string]any{"w": rawJSON(where), "o": rawJSON(order)}
		for _, role := range []struct {
			name string
			vars map[string]string
		}{{"admin", nil}, {"customer", map[string]string{"x-hasura-user-id": "2"}}} {
			r := e.run(t, role.name, role.vars, q, vars)
			if r.Data == nil && len(r.Errors) == 0 {
				t.Fatalf("neither data nor errors: %s", r.raw)
			}
			for _, er := range r.Errors {
				if er.Extensions.Code == "unexpected" || er.Extensions.Code == "" || strings.Contains(er.Message, "syntax error") {
					t.Fatalf("%s: where %s order_by %s: %s", role.name, where, order, r.raw)
				}
			}
		}
	})
}
