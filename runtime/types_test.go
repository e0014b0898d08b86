package runtime_test

// Encodings (HASURA_API.md §1.9) over testdata/fixtures/types: every type
// as a response value, with and without stringified numbers, and as a
// filter operand in literals and variables. Expected values are literals
// in Hasura's documented formats, compared with numbers kept as written.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	typesSchema = "testdata/fixtures/types/schema.sql"
	typesConfig = "testdata/fixtures/types/hasgen.yaml"
)

// exactJSON decodes JSON keeping numbers as written ("2.50" is not
// "2.5"), so that a comparison checks the encoding too.
func exactJSON(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return v
}

// exactData runs a query that must succeed and returns its data decoded
// with exactJSON.
func (e *testEngine) exactData(t testing.TB, role string, vars map[string]string, query string, variables any) any {
	t.Helper()
	raw := e.raw(t, role, vars, query, variables)
	v, ok := exactJSON(t, raw).(map[string]any)
	if !ok || v["data"] == nil || v["errors"] != nil {
		t.Fatalf("query failed: %s\nquery: %s", raw, query)
	}
	return v["data"]
}

// typeRows are the fixture's rows 1-4 in Hasura's formats: timestamps in
// ISO 8601 with "T", timestamptz with "+00:00" (sessions are UTC), time and
// timetz as Postgres writes them, interval in Postgres style, numbers as
// Postgres writes them (numeric keeps its scale), money and uuid as
// strings, json and jsonb as JSON, arrays as JSON lists (nested for
// int[][]), the enum as its label, the domain as its base type.
const typeRows = `[
{"id": 1, "owner": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "ts": "2004-10-19T10:23:54", "tstz": "2015-10-17T14:42:43+00:00",
 "d": "2014-09-14", "t": "11:09:23", "ttz": "15:22:23+00", "iv": "01:03:02", "num": 123.45, "price": 9.99,
 "big": 9223372036854775807, "f8": 16.0001220703125, "f4": 1.5, "small": 7, "m": "$123.45",
 "j": {"a": {"b": [10, 20]}, "k": "v", "n": 1}, "js": {"x": [1, "two"], "y": {"z": null}},
 "tags": ["alpha", "beta"], "grid": [[1, 2], [3, 4]], "feeling": "happy", "flag": true, "pos": 5,
 "label": "it's \"quoted\" \\ back", "code": "abc", "vc": "short"},
{"id": 2, "owner": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "ts": "2020-02-29T23:59:59.5", "tstz": "2020-03-01T04:00:00+00:00",
 "d": "2020-02-29", "t": "23:59:59.123456", "ttz": "08:00:00+05:30", "iv": "2 days", "num": -0.5, "price": 100.00,
 "big": -42, "f8": -1e-07, "f4": -2.25, "small": -3, "m": "$0.01",
 "j": {"a": {"b": [30]}, "k": "w", "list": [1, 2, 3]}, "js": [1, 2, 3],
 "tags": ["gamma"], "grid": [[5, 6], [7, 8]], "feeling": "ok", "flag": false, "pos": 1,
 "label": "plain", "code": "x  ", "vc": "v"},
{"id": 3, "owner": "00000000-0000-0000-0000-000000000000", "ts": "1999-12-31T00:00:00", "tstz": "1999-12-31T23:59:59+00:00",
 "d": "1999-12-31", "t": "00:00:00", "ttz": "00:00:00+00", "iv": "00:00:01", "num": 100000000000000000000, "price": 0.10,
 "big": 0, "f8": 0, "f4": 0, "small": 0, "m": "$1,000,000.50",
 "j": "just a string", "js": "s",
 "tags": [], "grid": [], "feeling": "sad", "flag": true, "pos": 2,
 "label": "", "code": "z  ", "vc": ""},
{"id": 4, "owner": null, "ts": null, "tstz": null, "d": null, "t": null, "ttz": null, "iv": null, "num": null, "price": null,
 "big": null, "f8": null, "f4": null, "small": null, "m": null, "j": null, "js": null,
 "tags": null, "grid": null, "feeling": null, "flag": null, "pos": null, "label": null, "code": null, "vc": null}]`

const allTypeColumns = `id owner ts tstz d t ttz iv num price big f8 f4 small m j js tags grid feeling flag pos label code vc`

func TestTypesOutput(t *testing.T) {
	plain := newFixtureEngine(t, typesSchema, typesConfig, false)
	str := newFixtureEngine(t, typesSchema, typesConfig, true)
	q := `{ things(order_by: {id: asc}) { ` + allTypeColumns + ` } }`

	t.Run("plain", func(t *testing.T) {
		got := plain.exactData(t, "admin", nil, q, nil)
		want := map[string]any{"things": exactJSON(t, typeRows)}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("stringify_numeric", func(t *testing.T) {
		// bigint, numeric, float8 and money become strings; int2, int4
		// and float4 stay numbers.
		rows := exactJSON(t, typeRows).([]any)
		strs := []map[string]string{
			{"num": "123.45", "price": "9.99", "big": "9223372036854775807", "f8": "16.0001220703125"},
			{"num": "-0.5", "price": "100.00", "big": "-42", "f8": "-1e-07"},
			{"num": "100000000000000000000", "price": "0.10", "big": "0", "f8": "0"},
		}
		for i, s := range strs {
			for k, v := range s {
				rows[i].(map[string]any)[k] = v
			}
		}
		got := str.exactData(t, "admin", nil, q, nil)
		if d := cmp.Diff(map[string]any{"things": rows}, got); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("by_pk_and_relationship", func(t *testing.T) {
		got := str.exactData(t, "admin", nil, `{ things_by_pk(id: 1) { big m parts(order_by: {id: asc}) { weight thing { num } } } }`, nil)
		want := exactJSON(t, `{"things_by_pk": {"big": "9223372036854775807", "m": "$123.45",
			"parts": [{"weight": "1.5", "thing": {"num": "123.45"}}, {"weight": "2.5", "thing": {"num": "123.45"}}]}}`)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})

	aq := `{ things_aggregate {
		aggregate {
			count
			sum { num price big f8 f4 small }
			avg { small price big }
			max { ts tstz d t ttz iv feeling label code big f8 m }
			min { num owner_less: small m }
		}
	} }`
	// avg's scale is Postgres's choice: read it from Postgres.
	var avgSmall, avgPrice, avgBig string
	if err := plain.pool.QueryRow(context.Background(), `SELECT avg(small)::text, avg(price)::text, avg(big)::text FROM things`).Scan(&avgSmall, &avgPrice, &avgBig); err != nil {
		t.Fatal(err)
	}
	avgs := strings.NewReplacer("AVG_SMALL", avgSmall, "AVG_PRICE", avgPrice, "AVG_BIG", avgBig)
	t.Run("aggregates", func(t *testing.T) {
		want := exactJSON(t, avgs.Replace(`{"things_aggregate": {"aggregate": {
			"count": 4,
			"sum": {"num": 100000000000000000122.95, "price": 110.09, "big": 9223372036854775765, "f8": 16.0001219703125, "f4": -0.75, "small": 4},
			"avg": {"small": AVG_SMALL, "price": AVG_PRICE, "big": AVG_BIG},
			"max": {"ts": "2020-02-29T23:59:59.5", "tstz": "2020-03-01T04:00:00+00:00", "d": "2020-02-29", "t": "23:59:59.123456",
				"ttz": "15:22:23+00", "iv": "2 days", "feeling": "happy", "label": "plain", "code": "z  ", "big": 9223372036854775807,
				"f8": 16.0001220703125, "m": "$1,000,000.50"},
			"min": {"num": -0.5, "owner_less": -3, "m": "$0.01"}}}}`))
		got := plain.exactData(t, "admin", nil, aq, nil)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("aggregates_stringified", func(t *testing.T) {
		// Aggregates follow the column's type; count stays a number.
		want := exactJSON(t, avgs.Replace(`{"things_aggregate": {"aggregate": {
			"count": 4,
			"sum": {"num": "100000000000000000122.95", "price": "110.09", "big": "9223372036854775765", "f8": "16.0001219703125", "f4": -0.75, "small": 4},
			"avg": {"small": AVG_SMALL, "price": "AVG_PRICE", "big": "AVG_BIG"},
			"max": {"ts": "2020-02-29T23:59:59.5", "tstz": "2020-03-01T04:00:00+00:00", "d": "2020-02-29", "t": "23:59:59.123456",
				"ttz": "15:22:23+00", "iv": "2 days", "feeling": "happy", "label": "plain", "code": "z  ", "big": "9223372036854775807",
				"f8": "16.0001220703125", "m": "$1,000,000.50"},
			"min": {"num": "-0.5", "owner_less": -3, "m": "$0.01"}}}}`))
		got := str.exactData(t, "admin", nil, aq, nil)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("money_statistics", func(t *testing.T) {
		// Postgres has sum, min and max for money but no avg, stddev or
		// variance: the schema offers them (money is numeric in Hasura),
		// so they are computed over the value as numeric.
		want := plain.sqlJSON(t, `SELECT json_build_object('sum', json_build_object('m', sum(m)), 'avg', json_build_object('m', avg(m::numeric)),
			'stddev', json_build_object('m', stddev(m::numeric)), 'var_samp', json_build_object('m', var_samp(m::numeric))) FROM things`)
		got := plain.data(t, "admin", nil, `{ things_aggregate { aggregate { sum { m } avg { m } stddev { m } var_samp { m } } } }`, nil)
		if d := cmp.Diff(map[string]any{"things_aggregate": map[string]any{"aggregate": want}}, any(got)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
		got = plain.data(t, "admin", nil, `{ things(order_by: [{parts_aggregate: {avg: {weight: asc}}}, {id: asc}]) { id } parts_aggregate { aggregate { avg { weight } } } }`, nil)
		if d := cmp.Diff(asJSON(t, `{"things": [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}], "parts_aggregate": {"aggregate": {"avg": {"weight": 4.25}}}}`), any(got)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("count_distinct_without_columns", func(t *testing.T) {
		// events has no primary key and two equal rows: count(distinct:
		// true) with no columns is count(*), as in Hasura.
		got := plain.data(t, "admin", nil, `{ events_aggregate { aggregate { all: count(distinct: true) plain: count n: count(columns: n) nd: count(columns: [n], distinct: true) rows: count(columns: [kind, n], distinct: true) } } }`, nil)
		want := asJSON(t, `{"events_aggregate": {"aggregate": {"all": 4, "plain": 4, "n": 3, "nd": 2, "rows": 3}}}`)
		if d := cmp.Diff(want, any(got)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
}

func TestTypesJSONPath(t *testing.T) {
	e := newFixtureEngine(t, typesSchema, typesConfig, false)
	cases := []struct{ path, want string }{
		{"$.a.b[0]", `[10, 30, null, null]`},
		{"$.a.b[1]", `[20, null, null, null]`},
		{".a", `[{"b": [10, 20]}, {"b": [30]}, null, null]`},
		{"a", `[{"b": [10, 20]}, {"b": [30]}, null, null]`},
		{"$.k", `["v", "w", null, null]`},
		{"k", `["v", "w", null, null]`},
		{"$", `[{"a": {"b": [10, 20]}, "k": "v", "n": 1}, {"a": {"b": [30]}, "k": "w", "list": [1, 2, 3]}, "just a string", null]`},
		{"$.list[2]", `[null, 3, null, null]`},
		{"$.missing.deeper", `[null, null, null, null]`},
		{`$["k"]`, `["v", "w", null, null]`},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			lit, _ := json.Marshal(c.path)
			for _, q := range []struct {
				text string
				vars map[string]any
			}{
				{fmt.Sprintf(`{ things(order_by: {id: asc}) { v: j(path: %s) } }`, lit), nil},
				{`query ($p: String) { things(order_by: {id: asc}) { v: j(path: $p) } }`, map[string]any{"p": c.path}},
			} {
				got := e.exactData(t, "admin", nil, q.text, q.vars).(map[string]any)["things"].([]any)
				var vs []any
				for _, r := range got {
					vs = append(vs, r.(map[string]any)["v"])
				}
				if d := cmp.Diff(exactJSON(t, c.want), any(vs)); d != "" {
					t.Errorf("%s (-want +got):\n%s", q.text, d)
				}
			}
		})
	}
	// json (not jsonb) takes a path too; an absent or null path is the
	// whole value; the same column twice with different paths.
	got := e.exactData(t, "admin", nil, `query ($p: String) { things_by_pk(id: 1) { x1: js(path: "$.x[1]") y: js(path: ".y.z") all: js(path: $p) j j2: j(path: "n") } }`, map[string]any{"p": nil})
	want := exactJSON(t, `{"things_by_pk": {"x1": "two", "y": null, "all": {"x": [1, "two"], "y": {"z": null}}, "j": {"a": {"b": [10, 20]}, "k": "v", "n": 1}, "j2": 1}}`)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// A malformed path is an error of the request, not of the database.
	r := e.run(t, "admin", nil, `{ things { j(path: "$.a[") } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions.Code == "unexpected" {
		t.Errorf("malformed path: %s", r.raw)
	}
}

// typeFilters are where arguments over the types fixture and the ids they
// select, checked by hand against schema.sql.
var typeFilters = []struct {
	where string
	ids   []int
}{
	{`{"id": {"_in": [1, 2]}}`, []int{1, 2}},
	// uuid
	{`{"owner": {"_eq": "6ba7b810-9dad-11d1-80b4-00c04fd430c8"}}`, []int{1}},
	{`{"owner": {"_in": ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "00000000-0000-0000-0000-000000000000"]}}`, []int{2, 3}},
	{`{"owner": {"_is_null": true}}`, []int{4}},
	{`{"owner": {"_neq": "6BA7B810-9DAD-11D1-80B4-00C04FD430C8"}}`, []int{2, 3}},
	// timestamp, timestamptz, date, time, timetz, interval
	{`{"ts": {"_eq": "2004-10-19T10:23:54"}}`, []int{1}},
	{`{"ts": {"_gt": "2000-01-01"}}`, []int{1, 2}},
	{`{"ts": {"_lte": "1999-12-31T00:00:00"}}`, []int{3}},
	{`{"ts": {"_eq": "2020-02-29T23:59:59.5"}}`, []int{2}},
	{`{"tstz": {"_eq": "2015-10-17T16:42:43+02:00"}}`, []int{1}},
	{`{"tstz": {"_gte": "2020-03-01T04:00:00Z"}}`, []int{2}},
	{`{"tstz": {"_lt": "2000-01-01T00:00:00+00:00"}}`, []int{3}},
	{`{"d": {"_eq": "2020-02-29"}}`, []int{2}},
	{`{"d": {"_in": ["2014-09-14", "1999-12-31"]}}`, []int{1, 3}},
	{`{"t": {"_gt": "12:00"}}`, []int{2}},
	{`{"t": {"_eq": "11:09:23"}}`, []int{1}},
	{`{"ttz": {"_eq": "15:22:23+00"}}`, []int{1}},
	{`{"ttz": {"_eq": "08:00:00+05:30"}}`, []int{2}},
	{`{"iv": {"_gt": "1 hour"}}`, []int{1, 2}},
	{`{"iv": {"_eq": "01:03:02"}}`, []int{1}},
	{`{"iv": {"_lt": "PT2S"}}`, []int{3}},
	// numeric, numeric(10,2), bigint, float8, real, smallint, money
	{`{"num": {"_eq": 123.45}}`, []int{1}},
	{`{"num": {"_gt": "1e19"}}`, []int{3}},
	{`{"num": {"_lt": 0}}`, []int{2}},
	{`{"num": {"_in": [123.45, -0.5]}}`, []int{1, 2}},
	{`{"price": {"_eq": "9.99"}}`, []int{1}},
	{`{"price": {"_eq": 100}}`, []int{2}},
	{`{"big": {"_eq": 9223372036854775807}}`, []int{1}},
	{`{"big": {"_eq": "9223372036854775807"}}`, []int{1}},
	{`{"big": {"_lt": 0}}`, []int{2}},
	{`{"big": {"_nin": [0, -42]}}`, []int{1}},
	{`{"f8": {"_eq": 16.0001220703125}}`, []int{1}},
	{`{"f8": {"_lt": 0}}`, []int{2}},
	{`{"f4": {"_eq": 1.5}}`, []int{1}},
	{`{"small": {"_eq": -3}}`, []int{2}},
	{`{"m": {"_gt": 100}}`, []int{1, 3}},
	{`{"m": {"_eq": "$0.01"}}`, []int{2}},
	{`{"m": {"_lte": 0.01}}`, []int{2}},
	// jsonb
	{`{"j": {"_eq": {"a": {"b": [30]}, "k": "w", "list": [1, 2, 3]}}}`, []int{2}},
	{`{"j": {"_eq": "just a string"}}`, []int{3}},
	{`{"j": {"_neq": "just a string"}}`, []int{1, 2}},
	{`{"j": {"_in": [{"k": "v", "n": 1, "a": {"b": [10, 20]}}, "just a string"]}}`, []int{1, 3}},
	{`{"j": {"_contains": {"a": {"b": [10]}}}}`, []int{1}},
	{`{"j": {"_contains": {"k": "w"}}}`, []int{2}},
	{`{"j": {"_contains": "just a string"}}`, []int{3}},
	{`{"j": {"_contained_in": {"a": {"b": [10, 20]}, "k": "v", "n": 1, "extra": true}}}`, []int{1}},
	{`{"j": {"_has_key": "list"}}`, []int{2}},
	{`{"j": {"_has_keys_any": ["n", "list"]}}`, []int{1, 2}},
	{`{"j": {"_has_keys_all": ["a", "k", "n"]}}`, []int{1}},
	{`{"j": {"_has_keys_all": []}}`, []int{1, 2, 3}},
	{`{"j": {"_cast": {"String": {"_like": "%just%"}}}}`, []int{3}},
	{`{"j": {"_cast": {"String": {"_ilike": "%\"K\": \"V\"%"}}}}`, []int{1}},
	{`{"j": {"_is_null": true}}`, []int{4}},
	// json
	{`{"js": {"_is_null": false}}`, []int{1, 2, 3}},
	// text[]
	{`{"tags": {"_contains": ["alpha"]}}`, []int{1}},
	{`{"tags": {"_contains": "gamma"}}`, []int{2}},
	{`{"tags": {"_contained_in": ["alpha", "beta", "gamma"]}}`, []int{1, 2, 3}},
	{`{"tags": {"_eq": ["gamma"]}}`, []int{2}},
	{`{"tags": {"_eq": []}}`, []int{3}},
	{`{"tags": {"_neq": ["gamma"]}}`, []int{1, 3}},
	{`{"tags": {"_gt": ["b"]}}`, []int{2}},
	{`{"tags": {"_is_null": true}}`, []int{4}},
	// int[][]
	{`{"grid": {"_eq": [[1, 2], [3, 4]]}}`, []int{1}},
	{`{"grid": {"_contains": [5]}}`, []int{2}},
	{`{"grid": {"_contained_in": [1, 2, 3, 4, 5, 6, 7, 8]}}`, []int{1, 2, 3}},
	// enum
	{`{"feeling": {"_eq": "happy"}}`, []int{1}},
	{`{"feeling": {"_in": ["ok", "sad"]}}`, []int{2, 3}},
	{`{"feeling": {"_gt": "sad"}}`, []int{1, 2}},
	{`{"feeling": {"_nin": ["happy"]}}`, []int{2, 3}},
	// bool
	{`{"flag": {"_eq": true}}`, []int{1, 3}},
	{`{"flag": {"_eq": false}}`, []int{2}},
	{`{"flag": {"_neq": true}}`, []int{2}},
	{`{"flag": {"_in": [false]}}`, []int{2}},
	// domain over integer
	{`{"pos": {"_gt": 1}}`, []int{1, 3}},
	{`{"pos": {"_in": [1, 5]}}`, []int{1, 2}},
	// text, char(n), varchar(n)
	{`{"label": {"_eq": "it's \"quoted\" \\ back"}}`, []int{1}},
	{`{"label": {"_like": "%\\\\%"}}`, []int{1}},
	{`{"label": {"_eq": ""}}`, []int{3}},
	{`{"label": {"_similar": "%(quoted|plain)%"}}`, []int{1, 2}},
	{`{"code": {"_eq": "x"}}`, []int{2}},
	{`{"code": {"_like": "x%"}}`, []int{2}},
	{`{"code": {"_in": ["abc", "z"]}}`, []int{1, 3}},
	{`{"vc": {"_eq": ""}}`, []int{3}},
	{`{"vc": {"_ilike": "SH%"}}`, []int{1}},
	// aggregate predicates over a boolean column (parts.ok)
	{`{"parts_aggregate": {"bool_and": {"arguments": "ok", "predicate": {"_eq": true}}}}`, []int{1}},
	{`{"parts_aggregate": {"bool_or": {"arguments": "ok", "predicate": {"_eq": true}}}}`, []int{1, 2}},
	{`{"parts_aggregate": {"bool_and": {"arguments": "ok", "filter": {"weight": {"_is_null": false}}, "predicate": {"_eq": true}}}}`, []int{1, 2}},
	{`{"parts_aggregate": {"bool_or": {"arguments": "ok", "distinct": true, "predicate": {"_eq": false}}}}`, []int{3}},
	{`{"parts_aggregate": {"count": {"arguments": ["weight"], "distinct": true, "predicate": {"_eq": 1}}}}`, []int{2, 3}},
	{`{"parts_aggregate": {"count": {"predicate": {"_eq": 0}}}}`, []int{4}},
	{`{"parts": {"weight": {"_gt": 2}}}`, []int{1, 2, 3}},
}

func TestTypesFilters(t *testing.T) {
	e := newFixtureEngine(t, typesSchema, typesConfig, false)
	for i, c := range typeFilters {
		want := make([]any, len(c.ids))
		for k, id := range c.ids {
			want[k] = map[string]any{"id": float64(id)}
		}
		t.Run(fmt.Sprintf("%d_literal", i), func(t *testing.T) {
			got := e.data(t, "admin", nil, fmt.Sprintf(`{ things(where: %s, order_by: {id: asc}) { id } }`, gqlLiteral(t, c.where)), nil)["things"]
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("where %s (-want +got):\n%s", c.where, d)
			}
		})
		t.Run(fmt.Sprintf("%d_variable", i), func(t *testing.T) {
			got := e.data(t, "admin", nil, `query ($w: things_bool_exp) { things(where: $w, order_by: {id: asc}) { id } }`, map[string]any{"w": rawJSON(c.where)})["things"]
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("where $w = %s (-want +got):\n%s", c.where, d)
			}
		})
	}
	// Operands as variables of their own scalar types.
	scalarVars := []struct {
		decl, where string
		value       any
		ids         string
	}{
		{"uuid", `{owner: {_eq: $v}}`, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", `[2]`},
		{"timestamptz", `{tstz: {_gt: $v}}`, "2015-10-17T14:42:42Z", `[1, 2]`},
		{"timestamp", `{ts: {_lt: $v}}`, "2004-10-19T10:23:54", `[3]`},
		{"date", `{d: {_eq: $v}}`, "1999-12-31", `[3]`},
		{"time", `{t: {_lte: $v}}`, "11:09:23", `[1, 3]`},
		{"timetz", `{ttz: {_eq: $v}}`, "00:00:00+00", `[3]`},
		{"interval", `{iv: {_gte: $v}}`, "2 days", `[2]`},
		{"numeric", `{num: {_eq: $v}}`, json.Number("100000000000000000000"), `[3]`},
		{"numeric", `{num: {_eq: $v}}`, "-0.5", `[2]`},
		{"bigint", `{big: {_eq: $v}}`, json.Number("9223372036854775807"), `[1]`},
		{"bigint", `{big: {_eq: $v}}`, "-42", `[2]`},
		{"float8", `{f8: {_eq: $v}}`, json.Number("-1e-7"), `[2]`},
		{"Float", `{f4: {_eq: $v}}`, -2.25, `[2]`},
		{"smallint", `{small: {_eq: $v}}`, 7, `[1]`},
		{"money", `{m: {_eq: $v}}`, "1000000.50", `[3]`},
		{"jsonb", `{j: {_contains: $v}}`, map[string]any{"list": []int{2}}, `[2]`},
		{"jsonb", `{j: {_eq: $v}}`, "just a string", `[3]`},
		{"[String!]", `{j: {_has_keys_any: $v}}`, []string{"k"}, `[1, 2]`},
		{"[String!]", `{tags: {_contains: $v}}`, []string{"beta", "alpha"}, `[1]`},
		{"[[Int!]!]", `{grid: {_eq: $v}}`, [][]int{{5, 6}, {7, 8}}, `[2]`},
		{"mood", `{feeling: {_eq: $v}}`, "sad", `[3]`},
		{"[mood!]", `{feeling: {_in: $v}}`, []string{"sad", "happy"}, `[1, 3]`},
		{"Boolean", `{flag: {_eq: $v}}`, false, `[2]`},
		{"Int", `{pos: {_eq: $v}}`, 2, `[3]`},
		{"bpchar", `{code: {_eq: $v}}`, "abc", `[1]`},
		{"String", `{label: {_eq: $v}}`, `it's "quoted" \ back`, `[1]`},
	}
	for _, c := range scalarVars {
		t.Run("var_"+c.decl+"_"+fmt.Sprint(c.value), func(t *testing.T) {
			q := fmt.Sprintf(`query ($v: %s) { things(where: %s, order_by: {id: asc}) { id } }`, c.decl, c.where)
			got := e.data(t, "admin", nil, q, map[string]any{"v": c.value})["things"]
			var ids []any
			for _, r := range got.([]any) {
				ids = append(ids, r.(map[string]any)["id"])
			}
			if d := cmp.Diff(asJSON(t, c.ids), any(ids)); d != "" {
				t.Errorf("%s (-want +got):\n%s", q, d)
			}
		})
	}
	// Values Postgres cannot read as the column's type are data errors.
	for _, c := range []struct{ decl, where string }{
		{"uuid", `{owner: {_eq: $v}}`}, {"timestamptz", `{tstz: {_eq: $v}}`}, {"mood", `{feeling: {_eq: $v}}`},
		{"Int", `{pos: {_eq: $v}}`}, {"interval", `{iv: {_eq: $v}}`},
	} {
		r := e.run(t, "admin", nil, fmt.Sprintf(`query ($v: %s) { things(where: %s) { id } }`, c.decl, c.where), map[string]any{"v": rawJSON(`"not a value {"`)})
		if len(r.Errors) != 1 || (r.Errors[0].Extensions.Code != "data-exception" && r.Errors[0].Extensions.Code != "parse-failed") {
			t.Errorf("%s: want a data-exception, got %s", c.decl, r.raw)
		}
	}
}

// TestTypesSessionVariables checks session variables cast to a uuid
// column and a Postgres array literal for _in, and that a hidden row
// behind an object relationship is null.
func TestTypesSessionVariables(t *testing.T) {
	e := newFixtureEngine(t, typesSchema, typesConfig, false)
	a := map[string]string{"x-hasura-user-id": "6ba7b810-9dad-11d1-80b4-00c04fd430c8"}
	cases := []queryCase{
		{name: "owner_things", role: "owner", session: a,
			query: `{ things { id parts(order_by: {id: asc}) { id } } things_aggregate { aggregate { count } } }`,
			want:  `{"things": [{"id": 1, "parts": [{"id": 1}, {"id": 2}]}], "things_aggregate": {"aggregate": {"count": 1}}}`},
		{name: "owner_parts_hidden_parent_is_null", role: "owner", session: a,
			query: `{ parts(order_by: {id: asc}) { id thing { id } } parts_aggregate { aggregate { count sum { weight } } } }`,
			want:  `{"parts": [{"id": 1, "thing": {"id": 1}}, {"id": 2, "thing": {"id": 1}}, {"id": 5, "thing": null}], "parts_aggregate": {"aggregate": {"count": 3, "sum": {"weight": 14}}}}`},
		{name: "owner_filter_through_hidden_rows", role: "owner", session: a,
			query: `{ things(where: {parts: {id: {_eq: 3}}}) { id } parts(where: {thing: {id: {_eq: 3}}}) { id } }`,
			want:  `{"things": [], "parts": []}`},
		{name: "owner_uppercase_uuid", role: "owner", session: map[string]string{"x-hasura-user-id": "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"},
			query: `{ things { id } }`, want: `{"things": [{"id": 2}]}`},
		{name: "moody_happy_ok", role: "moody", session: map[string]string{"x-hasura-moods": "{happy,ok}"},
			query: `{ things { id feeling } }`, want: `{"things": [{"id": 1, "feeling": "happy"}]}`},
		{name: "moody_sad", role: "moody", session: map[string]string{"x-hasura-moods": "{sad}"},
			query: `{ things { id } }`, want: `{"things": []}`},
		{name: "moody_quoted_array_items", role: "moody", session: map[string]string{"x-hasura-moods": `{"happy", "sad"}`},
			query: `{ things { id } }`, want: `{"things": [{"id": 1}]}`},
	}
	runCases(t, e, cases)
	for _, c := range []struct {
		name    string
		session map[string]string
		code    string
	}{
		{"missing", map[string]string{"x-hasura-user-id": "1"}, "not-found"},
		{"malformed_array_literal", map[string]string{"x-hasura-moods": "{happy"}, "data-exception"},
		{"bad_enum_label", map[string]string{"x-hasura-moods": "{elated}"}, "data-exception"},
	} {
		t.Run("moody_"+c.name, func(t *testing.T) {
			er := e.fail(t, "moody", c.session, `{ things { id } }`, nil)
			if er.Extensions.Code != c.code || er.Extensions.Path != "$" {
				t.Errorf("got %+v, want code %s at $", er, c.code)
			}
		})
	}
	er := e.fail(t, "owner", map[string]string{"x-hasura-user-id": "not-a-uuid"}, `{ things { id } }`, nil)
	if er.Extensions.Code != "data-exception" {
		t.Errorf("bad uuid: %+v", er)
	}
}
