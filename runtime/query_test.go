package runtime_test

// The query compiler against Postgres: every select argument and
// operator, aggregates, relationships, fragments, directives, variables,
// one statement per root field, the plan cache, and values that try to
// break out of their parameters. Expected results come from plain SQL run
// through pgx on the same database (sqlJSON), or from literals small enough
// to check by hand; never from the engine itself.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const chinookConfig = "testdata/fixtures/chinook/hasgen.yaml"

// gqlLiteral turns a JSON value into the same value written as a GraphQL
// literal, keeping object key order, so one case runs both with the
// value inline and from a variable.
func gqlLiteral(t testing.TB, js string) string {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(js))
	d.UseNumber()
	var b strings.Builder
	// Strings under an "arguments" key are column enum values: bare.
	var walk func(enum bool) error
	walk = func(enum bool) error {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				b.WriteByte('{')
				for first := true; d.More(); first = false {
					if !first {
						b.WriteString(", ")
					}
					k, err := d.Token()
					if err != nil {
						return err
					}
					b.WriteString(k.(string) + ": ")
					if err := walk(k == "arguments"); err != nil {
						return err
					}
				}
				b.WriteByte('}')
			case '[':
				b.WriteByte('[')
				for first := true; d.More(); first = false {
					if !first {
						b.WriteString(", ")
					}
					if err := walk(enum); err != nil {
						return err
					}
				}
				b.WriteByte(']')
			}
			_, err := d.Token() // the closing delimiter
			return err
		case string:
			if enum {
				b.WriteString(v)
				break
			}
			q, _ := json.Marshal(v)
			b.Write(q)
		case json.Number:
			b.WriteString(v.String())
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case nil:
			b.WriteString("null")
		}
		return nil
	}
	if err := walk(false); err != nil {
		t.Fatalf("gqlLiteral(%s): %v", js, err)
	}
	return b.String()
}

// rawJSON keeps a variable's JSON text as written (key order included)
// when the variables are marshalled.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// queryCase is a query and the SQL that computes its expected data.
type queryCase struct {
	name      string
	role      string // admin when empty
	session   map[string]string
	query     string
	variables map[string]any
	// sql computes the expected value of the response key field, or of
	// the whole data object when field is empty; want is the expected
	// value as a JSON literal instead.
	field string
	sql   string
	want  string
}

func (c queryCase) check(t *testing.T, e *testEngine) {
	t.Helper()
	role := c.role
	if role == "" {
		role = "admin"
	}
	got := e.data(t, role, c.session, c.query, c.variables)
	var want any
	if c.want != "" {
		want = asJSON(t, c.want)
	} else {
		want = e.sqlJSON(t, c.sql)
	}
	var gotV any = got
	if c.field != "" {
		gotV = got[c.field]
	}
	if d := cmp.Diff(want, gotV); d != "" {
		t.Errorf("%s (-want +got):\n%s\nquery: %s", c.name, d, c.query)
	}
}

func runCases(t *testing.T, e *testEngine, cases []queryCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.check(t, e) })
	}
}

// whereCase is a where argument (as JSON) on a table and the SQL condition
// on that table's rows that must select the same rows.
type whereCase struct {
	table, where, sql string
}

// whereCases cover every comparison operator of the chinook types (int,
// varchar, numeric, timestamp; jsonb, arrays and the other types are in
// types_test.go), the boolean connectives, relationship filters and
// aggregate predicates.
var whereCases = []whereCase{
	// Int
	{"tracks", `{"id": {"_eq": 5}}`, `id = 5`},
	{"tracks", `{"id": {"_neq": 5}, "album_id": {"_eq": 1}}`, `id <> 5 AND album_id = 1`},
	{"tracks", `{"id": {"_gt": 3490}}`, `id > 3490`},
	{"tracks", `{"id": {"_lt": 4}}`, `id < 4`},
	{"tracks", `{"id": {"_gte": 3500}}`, `id >= 3500`},
	{"tracks", `{"id": {"_lte": 3}}`, `id <= 3`},
	{"tracks", `{"id": {"_gt": 10, "_lte": 14}}`, `id > 10 AND id <= 14`},
	{"tracks", `{"id": {"_in": [1, 3, 5, 99999]}}`, `id IN (1, 3, 5)`},
	{"tracks", `{"id": {"_in": 7}}`, `id = 7`}, // a single value is a list of one
	{"tracks", `{"id": {"_in": []}}`, `false`},
	{"tracks", `{"album_id": {"_eq": 1}, "id": {"_nin": [1, 6, 7]}}`, `album_id = 1 AND id NOT IN (1, 6, 7)`},
	{"tracks", `{"album_id": {"_eq": 2}, "id": {"_nin": []}}`, `album_id = 2`},
	{"tracks", `{"composer": {"_is_null": true}, "album_id": {"_lte": 10}}`, `composer IS NULL AND album_id <= 10`},
	{"tracks", `{"composer": {"_is_null": false}, "album_id": {"_lte": 3}}`, `composer IS NOT NULL AND album_id <= 3`},
	{"tracks", `{"genre_id": {"_neq": 1}, "album_id": {"_lte": 12}}`, `genre_id <> 1 AND album_id <= 12`},
	// String (varchar)
	{"tracks", `{"name": {"_eq": "Balls to the Wall"}}`, `name = 'Balls to the Wall'`},
	{"tracks", `{"name": {"_gt": "Z"}}`, `name > 'Z'`},
	{"tracks", `{"name": {"_in": ["Restless and Wild", "Princess of the Dawn"]}}`, `name IN ('Restless and Wild', 'Princess of the Dawn')`},
	{"tracks", `{"name": {"_like": "%Love%"}}`, `name LIKE '%Love%'`},
	{"tracks", `{"name": {"_nlike": "%e%"}, "album_id": {"_lte": 30}}`, `name NOT LIKE '%e%' AND album_id <= 30`},
	{"tracks", `{"name": {"_ilike": "%love%"}}`, `name ILIKE '%love%'`},
	{"tracks", `{"name": {"_nilike": "%E%"}, "album_id": {"_lte": 30}}`, `name NOT ILIKE '%E%' AND album_id <= 30`},
	{"tracks", `{"name": {"_similar": "(Love|Hate)%"}}`, `name SIMILAR TO '(Love|Hate)%'`},
	{"tracks", `{"name": {"_nsimilar": "%(a|e)%"}, "album_id": {"_lte": 50}}`, `name NOT SIMILAR TO '%(a|e)%' AND album_id <= 50`},
	{"tracks", `{"name": {"_regex": "^[0-9]"}}`, `name ~ '^[0-9]'`},
	{"tracks", `{"name": {"_nregex": "[aeiou]"}}`, `name !~ '[aeiou]'`},
	{"tracks", `{"name": {"_iregex": "^the "}}`, `name ~* '^the '`},
	{"tracks", `{"name": {"_niregex": "[a-m]"}}`, `name !~* '[a-m]'`},
	// numeric, given as a number and as a string
	{"tracks", `{"unit_price": {"_gt": 0.99}}`, `unit_price > 0.99`},
	{"tracks", `{"unit_price": {"_eq": "1.99"}, "album_id": {"_lt": 260}}`, `unit_price = 1.99 AND album_id < 260`},
	{"invoices", `{"total": {"_gte": 20, "_lt": 24}}`, `total >= 20 AND total < 24`},
	{"invoices", `{"total": {"_in": [0.99, "25.86"]}}`, `total IN (0.99, 25.86)`},
	// timestamp
	{"invoices", `{"invoice_date": {"_gte": "2013-12-01T00:00:00"}}`, `invoice_date >= '2013-12-01'`},
	{"invoices", `{"invoice_date": {"_lt": "2009-01-03"}}`, `invoice_date < '2009-01-03'`},
	{"invoices", `{"invoice_date": {"_eq": "2009-01-11T00:00:00"}}`, `invoice_date = '2009-01-11'`},
	// connectives; {} is true, _and: [] true, _or: [] false
	{"albums", `{}`, `true`},
	{"tracks", `{"album_id": {"_eq": 3}, "_and": []}`, `album_id = 3`},
	{"tracks", `{"album_id": {"_eq": 3}, "_or": []}`, `false`},
	{"tracks", `{"album_id": {"_eq": 3}, "_not": {}}`, `false`},
	{"tracks", `{"album_id": {"_eq": 3}, "composer": {}}`, `album_id = 3`},
	{"tracks", `{"_or": [{"id": {"_eq": 1}}, {"id": {"_eq": 2}}, {"name": {"_eq": "Snowballed"}}]}`, `id IN (1, 2) OR name = 'Snowballed'`},
	{"tracks", `{"_and": [{"id": {"_gt": 5}}, {"id": {"_lt": 9}}]}`, `id > 5 AND id < 9`},
	{"tracks", `{"_and": {"id": {"_lt": 3}}}`, `id < 3`}, // a single object is a list of one
	{"albums", `{"_not": {"id": {"_gt": 5}}}`, `NOT (id > 5)`},
	{"tracks", `{"_not": {"_not": {"id": {"_lt": 3}}}}`, `id < 3`},
	{"tracks", `{"id": {"_lt": 60}, "_and": [{"id": {"_gt": 5}}, {"_or": [{"name": {"_like": "A%"}}, {"_not": {"composer": {"_is_null": false}}}]}]}`,
		`id < 60 AND id > 5 AND (name LIKE 'A%' OR composer IS NULL)`},
	// object relationships, nested
	{"tracks", `{"album": {"title": {"_eq": "Let There Be Rock"}}}`, `album_id IN (SELECT id FROM albums WHERE title = 'Let There Be Rock')`},
	{"tracks", `{"album": {"artist": {"name": {"_eq": "AC/DC"}}}}`,
		`album_id IN (SELECT al.id FROM albums al JOIN artists ar ON ar.id = al.artist_id WHERE ar.name = 'AC/DC')`},
	{"tracks", `{"album": {}, "id": {"_lt": 5}}`, `id < 5 AND album_id IS NOT NULL`},
	{"tracks", `{"_not": {"genre": {"name": {"_eq": "Rock"}}}, "album_id": {"_lte": 20}}`,
		`album_id <= 20 AND NOT EXISTS (SELECT 1 FROM genres g WHERE g.id = tracks.genre_id AND g.name = 'Rock')`},
	// array relationships: EXISTS; {} means at least one
	{"artists", `{"albums": {"title": {"_like": "%Rock%"}}}`, `EXISTS (SELECT 1 FROM albums WHERE artist_id = artists.id AND title LIKE '%Rock%')`},
	{"artists", `{"albums": {}}`, `EXISTS (SELECT 1 FROM albums WHERE artist_id = artists.id)`},
	{"artists", `{"_not": {"albums": {}}}`, `NOT EXISTS (SELECT 1 FROM albums WHERE artist_id = artists.id)`},
	{"artists", `{"albums": {"tracks": {"genre": {"name": {"_eq": "Jazz"}}}}}`,
		`EXISTS (SELECT 1 FROM albums al JOIN tracks tr ON tr.album_id = al.id JOIN genres g ON g.id = tr.genre_id WHERE al.artist_id = artists.id AND g.name = 'Jazz')`},
	{"genres", `{"tracks": {"album": {"artist": {"name": {"_eq": "Miles Davis"}}}}}`,
		`EXISTS (SELECT 1 FROM tracks tr JOIN albums al ON al.id = tr.album_id JOIN artists ar ON ar.id = al.artist_id WHERE tr.genre_id = genres.id AND ar.name = 'Miles Davis')`},
	// aggregate predicates
	{"artists", `{"albums_aggregate": {"count": {"predicate": {"_gt": 10}}}}`, `(SELECT count(*) FROM albums WHERE artist_id = artists.id) > 10`},
	{"artists", `{"albums_aggregate": {"count": {"predicate": {"_eq": 0}}}}`, `(SELECT count(*) FROM albums WHERE artist_id = artists.id) = 0`},
	{"artists", `{"albums_aggregate": {"count": {"filter": {"title": {"_like": "%Live%"}}, "predicate": {"_gte": 2}}}}`,
		`(SELECT count(*) FROM albums WHERE artist_id = artists.id AND title LIKE '%Live%') >= 2`},
	{"albums", `{"tracks_aggregate": {"count": {"arguments": ["genre_id"], "distinct": true, "predicate": {"_gt": 2}}}}`,
		`(SELECT count(DISTINCT genre_id) FROM tracks WHERE album_id = albums.id) > 2`},
	{"albums", `{"tracks_aggregate": {"count": {"arguments": ["composer"], "predicate": {"_eq": 0}}}, "id": {"_lt": 100}}`,
		`id < 100 AND (SELECT count(composer) FROM tracks WHERE album_id = albums.id) = 0`},
	{"albums", `{"tracks_aggregate": {"count": {"arguments": ["genre_id", "media_type_id"], "distinct": true, "predicate": {"_gte": 3}}}}`,
		`(SELECT count(DISTINCT (genre_id, media_type_id)) FROM tracks WHERE album_id = albums.id) >= 3`},
	{"artists", `{"albums_aggregate": {"count": {"distinct": true, "predicate": {"_in": [3, 4]}}}}`,
		`(SELECT count(*) FROM albums WHERE artist_id = artists.id) IN (3, 4)`},
	{"artists", `{"_or": [{"albums_aggregate": {"count": {"predicate": {"_gt": 12}}}}, {"name": {"_like": "Z%"}}]}`,
		`(SELECT count(*) FROM albums WHERE artist_id = artists.id) > 12 OR name LIKE 'Z%'`},
}

func TestQueryWhere(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", chinookConfig, false)
	for i, c := range whereCases {
		sql := fmt.Sprintf(`SELECT coalesce(json_agg(json_build_object('id', id) ORDER BY id), '[]') FROM %s WHERE %s`, c.table, c.sql)
		want := e.sqlJSON(t, sql)
		t.Run(fmt.Sprintf("%d_literal", i), func(t *testing.T) {
			q := fmt.Sprintf(`{ %s(where: %s, order_by: {id: asc}) { id } }`, c.table, gqlLiteral(t, c.where))
			got := e.data(t, "admin", nil, q, nil)[c.table]
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("where %s (-want +got):\n%s", c.where, d)
			}
		})
		t.Run(fmt.Sprintf("%d_variable", i), func(t *testing.T) {
			q := fmt.Sprintf(`query ($w: %s_bool_exp) { %s(where: $w, order_by: {id: asc}) { id } }`, c.table, c.table)
			got := e.data(t, "admin", nil, q, map[string]any{"w": rawJSON(c.where)})[c.table]
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("where $w = %s (-want +got):\n%s", c.where, d)
			}
		})
	}
	// A where that selects nothing at all still answers [] (not null).
	if got := e.data(t, "admin", nil, `{ tracks(where: {id: {_lt: 0}}) { id } }`, nil)["tracks"]; !cmp.Equal(got, []any{}) {
		t.Errorf("empty result: got %#v, want []", got)
	}
}

func TestQuerySelect(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", chinookConfig, false)
	dirs := []struct{ enum, sql string }{
		{"asc", "ASC NULLS LAST"}, {"asc_nulls_first", "ASC NULLS FIRST"}, {"asc_nulls_last", "ASC NULLS LAST"},
		{"desc", "DESC NULLS FIRST"}, {"desc_nulls_first", "DESC NULLS FIRST"}, {"desc_nulls_last", "DESC NULLS LAST"},
	}
	var cases []queryCase
	for _, d := range dirs {
		// composer is NULL on some of these rows: the direction decides
		// where they go.
		cases = append(cases, queryCase{
			name:  "order_by_" + d.enum,
			query: fmt.Sprintf(`{ tracks(where: {album_id: {_lte: 12}}, order_by: [{composer: %s}, {id: asc}]) { id composer } }`, d.enum),
			field: "tracks",
			sql: fmt.Sprintf(`SELECT json_agg(json_build_object('id', id, 'composer', composer) ORDER BY composer %s, id)
				FROM tracks WHERE album_id <= 12`, d.sql),
		})
		cases = append(cases, queryCase{
			name:  "order_by_object_relationship_" + d.enum,
			query: fmt.Sprintf(`{ tracks(where: {id: {_lte: 40}}, order_by: [{genre: {name: %s}}, {id: desc}]) { id } }`, d.enum),
			field: "tracks",
			sql: fmt.Sprintf(`SELECT json_agg(json_build_object('id', t.id) ORDER BY g.name %s, t.id DESC)
				FROM tracks t LEFT JOIN genres g ON g.id = t.genre_id WHERE t.id <= 40`, d.sql),
		})
	}
	cases = append(cases, []queryCase{
		{
			name:  "order_by_list_of_keys",
			query: `{ tracks(where: {album_id: {_lte: 10}}, order_by: [{album_id: desc}, {milliseconds: asc}]) { id album_id milliseconds } }`,
			field: "tracks",
			sql: `SELECT json_agg(json_build_object('id', id, 'album_id', album_id, 'milliseconds', milliseconds) ORDER BY album_id DESC, milliseconds)
				FROM tracks WHERE album_id <= 10`,
		},
		{
			// The keys of one order_by object apply in the order written.
			name:  "order_by_key_order_in_object_1",
			query: `{ tracks(where: {album_id: {_lte: 10}}, order_by: {genre_id: desc, milliseconds: asc}) { id } }`,
			field: "tracks",
			sql:   `SELECT json_agg(json_build_object('id', id) ORDER BY genre_id DESC, milliseconds) FROM tracks WHERE album_id <= 10`,
		},
		{
			name:  "order_by_key_order_in_object_2",
			query: `{ tracks(where: {album_id: {_lte: 10}}, order_by: {milliseconds: asc, genre_id: desc}) { id } }`,
			field: "tracks",
			sql:   `SELECT json_agg(json_build_object('id', id) ORDER BY milliseconds, genre_id DESC) FROM tracks WHERE album_id <= 10`,
		},
		{
			name:  "order_by_null_value_skipped",
			query: `{ albums(where: {id: {_lte: 10}}, order_by: [{title: null, id: desc}]) { id } }`,
			field: "albums",
			sql:   `SELECT json_agg(json_build_object('id', id) ORDER BY id DESC) FROM albums WHERE id <= 10`,
		},
		{
			name:  "order_by_nested_object_relationship",
			query: `{ tracks(where: {id: {_lte: 300}}, order_by: [{album: {artist: {name: desc}}}, {id: asc}], limit: 25) { id } }`,
			field: "tracks",
			sql: `SELECT json_agg(json_build_object('id', id) ORDER BY n DESC NULLS FIRST, id) FROM (
				SELECT t.id, ar.name AS n FROM tracks t JOIN albums al ON al.id = t.album_id JOIN artists ar ON ar.id = al.artist_id
				WHERE t.id <= 300 ORDER BY ar.name DESC NULLS FIRST, t.id LIMIT 25) x`,
		},
		{
			name:  "order_by_array_aggregate_count",
			query: `{ artists(order_by: [{albums_aggregate: {count: desc}}, {id: asc}], limit: 10) { id } }`,
			field: "artists",
			sql: `SELECT json_agg(json_build_object('id', id) ORDER BY c DESC, id) FROM (
				SELECT a.id, (SELECT count(*) FROM albums WHERE artist_id = a.id) AS c FROM artists a
				ORDER BY c DESC, a.id LIMIT 10) x`,
		},
	}...)
	for _, fn := range []string{"max", "min", "sum", "avg", "stddev", "stddev_pop", "stddev_samp", "var_pop", "var_samp", "variance"} {
		cases = append(cases, queryCase{
			name:  "order_by_array_aggregate_" + fn,
			query: fmt.Sprintf(`{ albums(order_by: [{tracks_aggregate: {%s: {milliseconds: desc}}}, {id: asc}], limit: 8) { id } }`, fn),
			field: "albums",
			sql: fmt.Sprintf(`SELECT json_agg(json_build_object('id', id) ORDER BY v DESC NULLS FIRST, id) FROM (
				SELECT a.id, (SELECT %s(milliseconds) FROM tracks WHERE album_id = a.id) AS v FROM albums a
				ORDER BY v DESC NULLS FIRST, a.id LIMIT 8) x`, fn),
		})
	}
	cases = append(cases, []queryCase{
		{
			name:  "order_by_aggregate_two_columns_in_order",
			query: `{ albums(where: {id: {_lte: 40}}, order_by: {tracks_aggregate: {max: {unit_price: desc, milliseconds: asc}}, id: asc}) { id } }`,
			field: "albums",
			sql: `SELECT json_agg(json_build_object('id', id) ORDER BY p DESC NULLS FIRST, m, id) FROM (
				SELECT a.id, (SELECT max(unit_price) FROM tracks WHERE album_id = a.id) AS p,
				       (SELECT max(milliseconds) FROM tracks WHERE album_id = a.id) AS m FROM albums a WHERE a.id <= 40) x`,
		},
		// distinct_on
		{
			name:  "distinct_on_with_order_by",
			query: `{ tracks(distinct_on: [album_id], where: {album_id: {_lte: 10}}, order_by: [{album_id: asc}, {milliseconds: desc}, {id: asc}]) { album_id id milliseconds } }`,
			field: "tracks",
			sql: `SELECT json_agg(json_build_object('album_id', album_id, 'id', id, 'milliseconds', milliseconds) ORDER BY album_id) FROM (
				SELECT DISTINCT ON (album_id) * FROM tracks WHERE album_id <= 10 ORDER BY album_id, milliseconds DESC, id) x`,
		},
		{
			// Two distinct columns matched by the first two order_by keys
			// in another order.
			name:  "distinct_on_two_columns",
			query: `{ tracks(distinct_on: [album_id, genre_id], where: {album_id: {_lte: 30}}, order_by: [{genre_id: asc}, {album_id: desc}, {id: asc}]) { id } }`,
			field: "tracks",
			sql: `SELECT json_agg(json_build_object('id', id) ORDER BY genre_id, album_id DESC, id) FROM (
				SELECT DISTINCT ON (genre_id, album_id) * FROM tracks WHERE album_id <= 30 ORDER BY genre_id, album_id DESC, id) x`,
		},
		{
			name:  "distinct_on_with_limit_offset",
			query: `{ tracks(distinct_on: album_id, order_by: [{album_id: desc}, {name: asc}], limit: 4, offset: 2) { album_id name } }`,
			field: "tracks",
			sql: `SELECT json_agg(json_build_object('album_id', album_id, 'name', name) ORDER BY album_id DESC) FROM (
				SELECT DISTINCT ON (album_id) * FROM tracks ORDER BY album_id DESC, name LIMIT 4 OFFSET 2) x`,
		},
		{
			name:  "distinct_on_in_aggregate",
			query: `{ tracks_aggregate(distinct_on: [genre_id], order_by: {genre_id: asc}, where: {album_id: {_lte: 50}}) { aggregate { count } } }`,
			field: "tracks_aggregate",
			sql:   `SELECT json_build_object('aggregate', json_build_object('count', count(*))) FROM (SELECT DISTINCT genre_id FROM tracks WHERE album_id <= 50) x`,
		},
		{
			name:  "distinct_on_nested",
			query: `{ albums(where: {id: {_in: [1, 23, 141]}}, order_by: {id: asc}) { id tracks(distinct_on: media_type_id, order_by: [{media_type_id: asc}, {id: desc}]) { id media_type_id } } }`,
			field: "albums",
			sql: `SELECT json_agg(json_build_object('id', a.id, 'tracks', (
				SELECT json_agg(json_build_object('id', id, 'media_type_id', media_type_id) ORDER BY media_type_id) FROM (
					SELECT DISTINCT ON (media_type_id) * FROM tracks WHERE album_id = a.id ORDER BY media_type_id, id DESC) x)) ORDER BY a.id)
				FROM albums a WHERE a.id IN (1, 23, 141)`,
		},
		// limit and offset
		{
			name:  "limit_offset_literal",
			query: `{ albums(order_by: {id: asc}, limit: 3, offset: 5) { id } }`,
			field: "albums",
			want:  `[{"id": 6}, {"id": 7}, {"id": 8}]`,
		},
		{
			name:      "limit_offset_variables",
			query:     `query ($l: Int, $o: Int) { albums(order_by: {id: desc}, limit: $l, offset: $o) { id } }`,
			variables: map[string]any{"l": 2, "o": 1},
			field:     "albums",
			sql:       `SELECT json_agg(json_build_object('id', id) ORDER BY id DESC) FROM (SELECT id FROM albums ORDER BY id DESC LIMIT 2 OFFSET 1) x`,
		},
		{
			name:      "limit_null_variable_is_absent",
			query:     `query ($l: Int) { albums(where: {id: {_lte: 4}}, order_by: {id: asc}, limit: $l) { id } }`,
			variables: map[string]any{"l": nil},
			field:     "albums",
			want:      `[{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}]`,
		},
		{
			name:  "limit_zero",
			query: `{ albums(limit: 0) { id } }`,
			field: "albums",
			want:  `[]`,
		},
		{
			name:  "offset_without_limit",
			query: `{ albums(order_by: {id: desc}, offset: 345) { id } }`,
			field: "albums",
			want:  `[{"id": 2}, {"id": 1}]`,
		},
		// relationships three levels deep, each with its own arguments
		{
			name: "relationships_three_levels",
			query: `{ artists(where: {id: {_in: [1, 22, 90]}}, order_by: {id: asc}) {
				id name
				albums(order_by: {title: desc}, limit: 2) {
					title
					tracks(where: {milliseconds: {_gt: 200000}}, order_by: {milliseconds: desc}, limit: 2) {
						name milliseconds genre { name } media_type { name }
					}
				}
			} }`,
			field: "artists",
			sql: `SELECT json_agg(json_build_object('id', ar.id, 'name', ar.name, 'albums', (
				SELECT coalesce(json_agg(json_build_object('title', al.title, 'tracks', (
					SELECT coalesce(json_agg(json_build_object('name', tr.name, 'milliseconds', tr.milliseconds,
						'genre', (SELECT json_build_object('name', g.name) FROM genres g WHERE g.id = tr.genre_id),
						'media_type', (SELECT json_build_object('name', m.name) FROM media_types m WHERE m.id = tr.media_type_id))
						ORDER BY tr.milliseconds DESC), '[]')
					FROM (SELECT * FROM tracks WHERE album_id = al.id AND milliseconds > 200000 ORDER BY milliseconds DESC LIMIT 2) tr))
					ORDER BY al.title DESC), '[]')
				FROM (SELECT * FROM albums WHERE artist_id = ar.id ORDER BY title DESC LIMIT 2) al)) ORDER BY ar.id)
				FROM artists ar WHERE ar.id IN (1, 22, 90)`,
		},
		{
			name:  "object_relationship_chain_up",
			query: `{ invoice_lines(where: {id: {_in: [1, 2000]}}, order_by: {id: asc}) { id track { name album { title artist { name } } } invoice { customer { last_name employee { last_name employee { last_name } } } } } }`,
			field: "invoice_lines",
			sql: `SELECT json_agg(json_build_object('id', l.id,
				'track', json_build_object('name', t.name, 'album', json_build_object('title', al.title, 'artist', json_build_object('name', ar.name))),
				'invoice', json_build_object('customer', json_build_object('last_name', c.last_name,
					'employee', json_build_object('last_name', e.last_name, 'employee', json_build_object('last_name', b.last_name)))))
				ORDER BY l.id)
				FROM invoice_lines l JOIN tracks t ON t.id = l.track_id JOIN albums al ON al.id = t.album_id JOIN artists ar ON ar.id = al.artist_id
				JOIN invoices i ON i.id = l.invoice_id JOIN customers c ON c.id = i.customer_id
				JOIN employees e ON e.id = c.support_rep_id JOIN employees b ON b.id = e.reports_to
				WHERE l.id IN (1, 2000)`,
		},
		{
			// employees.reports_to is NULL for the general manager: the
			// object relationship is null.
			name:  "object_relationship_null",
			query: `{ employees(order_by: {id: asc}, limit: 2) { id employee { id } } }`,
			field: "employees",
			want:  `[{"id": 1, "employee": null}, {"id": 2, "employee": {"id": 1}}]`,
		},
		// aggregates
		{
			name: "aggregate_root_every_function",
			query: `{ tracks_aggregate(where: {album_id: {_lte: 5}}, order_by: {id: asc}) {
				aggregate {
					count
					c_composer: count(columns: [composer])
					c_genre_distinct: count(columns: [genre_id], distinct: true)
					c_two: count(columns: [genre_id, composer], distinct: true)
					c_distinct: count(distinct: true)
					c_not_distinct: count(columns: genre_id, distinct: false)
					sum { milliseconds unit_price bytes }
					avg { milliseconds unit_price }
					max { name milliseconds unit_price composer }
					min { name milliseconds unit_price composer }
					stddev { milliseconds } stddev_pop { milliseconds } stddev_samp { unit_price }
					var_pop { milliseconds } var_samp { milliseconds } variance { bytes }
				}
				nodes { id album { title } }
			} }`,
			field: "tracks_aggregate",
			sql: `SELECT json_build_object('aggregate', json_build_object(
					'count', count(*), 'c_composer', count(composer), 'c_genre_distinct', count(DISTINCT genre_id),
					'c_two', count(DISTINCT (genre_id, composer)), 'c_distinct', count(*), 'c_not_distinct', count(genre_id),
					'sum', json_build_object('milliseconds', sum(milliseconds), 'unit_price', sum(unit_price), 'bytes', sum(bytes)),
					'avg', json_build_object('milliseconds', avg(milliseconds), 'unit_price', avg(unit_price)),
					'max', json_build_object('name', max(name), 'milliseconds', max(milliseconds), 'unit_price', max(unit_price), 'composer', max(composer)),
					'min', json_build_object('name', min(name), 'milliseconds', min(milliseconds), 'unit_price', min(unit_price), 'composer', min(composer)),
					'stddev', json_build_object('milliseconds', stddev(milliseconds)),
					'stddev_pop', json_build_object('milliseconds', stddev_pop(milliseconds)),
					'stddev_samp', json_build_object('unit_price', stddev_samp(unit_price)),
					'var_pop', json_build_object('milliseconds', var_pop(milliseconds)),
					'var_samp', json_build_object('milliseconds', var_samp(milliseconds)),
					'variance', json_build_object('bytes', variance(bytes))),
				'nodes', json_agg(json_build_object('id', t.id, 'album', (SELECT json_build_object('title', title) FROM albums WHERE id = t.album_id)) ORDER BY t.id))
				FROM tracks t WHERE album_id <= 5`,
		},
		{
			name:  "aggregate_empty",
			query: `{ tracks_aggregate(where: {id: {_lt: 0}}) { aggregate { count sum { milliseconds } max { name } } nodes { id } } }`,
			field: "tracks_aggregate",
			want:  `{"aggregate": {"count": 0, "sum": {"milliseconds": null}, "max": {"name": null}}, "nodes": []}`,
		},
		{
			name:  "aggregate_limit_offset",
			query: `{ tracks_aggregate(order_by: {milliseconds: desc}, limit: 10, offset: 5) { aggregate { count max { milliseconds } } nodes { id } } }`,
			field: "tracks_aggregate",
			sql: `SELECT json_build_object('aggregate', json_build_object('count', count(*), 'max', json_build_object('milliseconds', max(milliseconds))),
				'nodes', json_agg(json_build_object('id', id) ORDER BY milliseconds DESC, id))
				FROM (SELECT * FROM tracks ORDER BY milliseconds DESC LIMIT 10 OFFSET 5) t`,
		},
		{
			name: "aggregate_nested",
			query: `{ artists(where: {id: {_lte: 6}}, order_by: {id: asc}) {
				id
				albums_aggregate(where: {title: {_nlike: "%Live%"}}) { aggregate { count max { title } } }
				albums(order_by: {id: asc}) { tracks_aggregate { aggregate { count sum { milliseconds } } nodes { genre { name } } } }
			} }`,
			field: "artists",
			sql: `SELECT json_agg(json_build_object('id', ar.id,
				'albums_aggregate', (SELECT json_build_object('aggregate', json_build_object('count', count(*), 'max', json_build_object('title', max(title))))
					FROM albums WHERE artist_id = ar.id AND title NOT LIKE '%Live%'),
				'albums', (SELECT coalesce(json_agg(json_build_object('tracks_aggregate', (
					SELECT json_build_object('aggregate', json_build_object('count', count(*), 'sum', json_build_object('milliseconds', sum(milliseconds))),
						'nodes', coalesce(json_agg(json_build_object('genre', (SELECT json_build_object('name', g.name) FROM genres g WHERE g.id = t.genre_id))), '[]'))
					FROM tracks t WHERE t.album_id = al.id)) ORDER BY al.id), '[]') FROM albums al WHERE al.artist_id = ar.id)) ORDER BY ar.id)
				FROM artists ar WHERE ar.id <= 6`,
		},
		{
			name:  "aggregate_nodes_with_relationships",
			query: `{ albums_aggregate(where: {artist_id: {_eq: 1}}, order_by: {id: desc}) { nodes { id artist { name } tracks(order_by: {id: asc}, limit: 1) { name } } } }`,
			field: "albums_aggregate",
			sql: `SELECT json_build_object('nodes', json_agg(json_build_object('id', a.id, 'artist', json_build_object('name', ar.name),
				'tracks', (SELECT json_agg(json_build_object('name', name)) FROM (SELECT name FROM tracks WHERE album_id = a.id ORDER BY id LIMIT 1) x)) ORDER BY a.id DESC))
				FROM albums a JOIN artists ar ON ar.id = a.artist_id WHERE a.artist_id = 1`,
		},
		// aliases
		{
			name:  "aliases_same_field_different_args",
			query: `{ first: albums(order_by: {id: asc}, limit: 1) { key: id } last: albums(order_by: {id: desc}, limit: 1) { id t1: title t2: title } }`,
			sql: `SELECT json_build_object(
				'first', (SELECT json_agg(json_build_object('key', id)) FROM (SELECT id FROM albums ORDER BY id LIMIT 1) x),
				'last', (SELECT json_agg(json_build_object('id', id, 't1', title, 't2', title)) FROM (SELECT * FROM albums ORDER BY id DESC LIMIT 1) x))`,
		},
		{
			name:  "aliases_nested_relationship_twice",
			query: `{ albums_by_pk(id: 141) { shortest: tracks(order_by: {milliseconds: asc}, limit: 1) { name } longest: tracks(order_by: {milliseconds: desc}, limit: 1) { name } n: tracks_aggregate { aggregate { count } } ms: tracks_aggregate(where: {milliseconds: {_gt: 300000}}) { aggregate { c: count } } } }`,
			field: "albums_by_pk",
			sql: `SELECT json_build_object(
				'shortest', (SELECT json_agg(json_build_object('name', name)) FROM (SELECT name FROM tracks WHERE album_id = 141 ORDER BY milliseconds LIMIT 1) x),
				'longest', (SELECT json_agg(json_build_object('name', name)) FROM (SELECT name FROM tracks WHERE album_id = 141 ORDER BY milliseconds DESC LIMIT 1) x),
				'n', json_build_object('aggregate', json_build_object('count', (SELECT count(*) FROM tracks WHERE album_id = 141))),
				'ms', json_build_object('aggregate', json_build_object('c', (SELECT count(*) FROM tracks WHERE album_id = 141 AND milliseconds > 300000))))`,
		},
		{
			// Response keys follow the selection order, aliases included.
			name:  "alias_order_kept",
			query: `{ albums_by_pk(id: 1) { z: id a: title m: artist_id } }`,
			field: "albums_by_pk",
			want:  `{"z": 1, "a": "For Those About To Rock We Salute You", "m": 1}`,
		},
		// fragments
		{
			name: "fragments_named_inline_nested",
			query: `query { albums(where: {id: {_lte: 3}}, order_by: {id: asc}) { ...A ... on albums { artist { ...Ar } } } }
				fragment A on albums { id ... { title } tracks(order_by: {id: asc}, limit: 1) { ...T } }
				fragment T on tracks { name ... on tracks { album { ...Al } } }
				fragment Al on albums { id }
				fragment Ar on artists { name }`,
			field: "albums",
			sql: `SELECT json_agg(json_build_object('id', a.id, 'title', a.title,
				'tracks', (SELECT json_agg(json_build_object('name', name, 'album', json_build_object('id', album_id))) FROM (SELECT * FROM tracks WHERE album_id = a.id ORDER BY id LIMIT 1) x),
				'artist', (SELECT json_build_object('name', name) FROM artists WHERE id = a.artist_id)) ORDER BY a.id)
				FROM albums a WHERE a.id <= 3`,
		},
		{
			// The same field from a fragment and the selection merges.
			name:  "fragments_merge_same_key",
			query: `{ albums_by_pk(id: 2) { artist { id } ...F } } fragment F on albums { artist { name } id }`,
			field: "albums_by_pk",
			want:  `{"artist": {"id": 2, "name": "Accept"}, "id": 2}`,
		},
		// directives
		{
			name:  "skip_include_literals",
			query: `{ albums_by_pk(id: 1) { id @skip(if: true) title @include(if: true) artist_id @include(if: false) artist @skip(if: false) { name } } }`,
			field: "albums_by_pk",
			want:  `{"title": "For Those About To Rock We Salute You", "artist": {"name": "AC/DC"}}`,
		},
		{
			name:      "skip_include_variables",
			query:     `query ($yes: Boolean!, $no: Boolean!) { albums_by_pk(id: 1) { id @skip(if: $yes) title @include(if: $no) ... on albums @include(if: $yes) { artist_id } ...F @skip(if: $no) } } fragment F on albums { artist { id } }`,
			variables: map[string]any{"yes": true, "no": false},
			field:     "albums_by_pk",
			want:      `{"artist_id": 1, "artist": {"id": 1}}`,
		},
		{
			name:      "skip_include_variables_flipped",
			query:     `query ($yes: Boolean!, $no: Boolean!) { albums_by_pk(id: 1) { id @skip(if: $yes) title @include(if: $no) ... on albums @include(if: $yes) { artist_id } ...F @skip(if: $no) } } fragment F on albums { artist { id } }`,
			variables: map[string]any{"yes": false, "no": true},
			field:     "albums_by_pk",
			want:      `{"id": 1, "title": "For Those About To Rock We Salute You"}`,
		},
		{
			name:  "skip_root_field",
			query: `{ a: albums_by_pk(id: 1) @skip(if: true) { id } b: albums_by_pk(id: 2) { id } }`,
			want:  `{"b": {"id": 2}}`,
		},
		// variables everywhere
		{
			name: "variables_everywhere",
			query: `query ($w: albums_bool_exp, $o: [albums_order_by!], $l: Int, $off: Int, $tw: tracks_bool_exp, $tl: Int, $d: [tracks_select_column!], $to: [tracks_order_by!]) {
				albums(where: $w, order_by: $o, limit: $l, offset: $off) {
					id
					tracks(where: $tw, limit: $tl, distinct_on: $d, order_by: $to) { genre_id name }
				} }`,
			variables: map[string]any{
				"w":   rawJSON(`{"artist": {"name": {"_in": ["AC/DC", "Aerosmith", "Accept"]}}}`),
				"o":   rawJSON(`[{"artist": {"name": "desc"}}, {"id": "asc"}]`),
				"l":   3,
				"off": 1,
				"tw":  rawJSON(`{"name": {"_ilike": "%o%"}}`),
				"tl":  2,
				"d":   []string{"genre_id"},
				"to":  rawJSON(`{"genre_id": "asc", "name": "desc"}`),
			},
			field: "albums",
			sql: `SELECT json_agg(json_build_object('id', a.id, 'tracks', (
				SELECT coalesce(json_agg(json_build_object('genre_id', genre_id, 'name', name) ORDER BY genre_id, name DESC), '[]') FROM (
					SELECT DISTINCT ON (genre_id) * FROM tracks WHERE album_id = a.id AND name ILIKE '%o%' ORDER BY genre_id, name DESC LIMIT 2) x))
				ORDER BY n DESC, a.id)
				FROM (SELECT al.*, ar.name AS n FROM albums al JOIN artists ar ON ar.id = al.artist_id
				WHERE ar.name IN ('AC/DC', 'Aerosmith', 'Accept') ORDER BY ar.name DESC, al.id LIMIT 3 OFFSET 1) a`,
		},
		{
			// A whole order_by object from a variable applies its keys in
			// the JSON's key order: the two orders give different rows.
			name:      "order_by_variable_key_order_1",
			query:     `query ($o: [tracks_order_by!]) { tracks(where: {album_id: {_lte: 10}}, order_by: $o, limit: 10) { id } }`,
			variables: map[string]any{"o": rawJSON(`{"genre_id": "desc", "milliseconds": "asc"}`)},
			field:     "tracks",
			sql:       `SELECT json_agg(json_build_object('id', id) ORDER BY genre_id DESC, milliseconds) FROM (SELECT * FROM tracks WHERE album_id <= 10 ORDER BY genre_id DESC, milliseconds LIMIT 10) x`,
		},
		{
			name:      "order_by_variable_key_order_2",
			query:     `query ($o: [tracks_order_by!]) { tracks(where: {album_id: {_lte: 10}}, order_by: $o, limit: 10) { id } }`,
			variables: map[string]any{"o": rawJSON(`{"milliseconds": "asc", "genre_id": "desc"}`)},
			field:     "tracks",
			sql:       `SELECT json_agg(json_build_object('id', id) ORDER BY milliseconds, genre_id DESC) FROM (SELECT * FROM tracks WHERE album_id <= 10 ORDER BY milliseconds, genre_id DESC LIMIT 10) x`,
		},
		{
			name:      "variables_inside_literals",
			query:     `query ($name: String!, $ids: [Int!], $dir: order_by) { tracks(where: {_or: [{name: {_eq: $name}}, {id: {_in: $ids}}]}, order_by: {id: $dir}) { id } }`,
			variables: map[string]any{"name": "Snowballed", "ids": []int{1, 2}, "dir": "desc"},
			field:     "tracks",
			sql:       `SELECT json_agg(json_build_object('id', id) ORDER BY id DESC) FROM tracks WHERE name = 'Snowballed' OR id IN (1, 2)`,
		},
		{
			name:      "variable_default_values",
			query:     `query ($id: Int = 3, $l: Int = 1) { albums(where: {id: {_gte: $id}}, order_by: {id: asc}, limit: $l) { id } }`,
			variables: map[string]any{},
			field:     "albums",
			want:      `[{"id": 3}]`,
		},
		{
			name:      "variable_pk_and_nested_args",
			query:     `query ($id: Int!, $l: Int!) { albums_by_pk(id: $id) { id tracks(limit: $l, order_by: {id: asc}) { id } } }`,
			variables: map[string]any{"id": 5, "l": 2},
			field:     "albums_by_pk",
			want:      `{"id": 5, "tracks": [{"id": 23}, {"id": 24}]}`,
		},
		// __typename at every level
		{
			name: "typename_everywhere",
			query: `{ __typename albums_by_pk(id: 1) { __typename artist { __typename } tracks(limit: 1, order_by: {id: asc}) { __typename t: __typename }
				tracks_aggregate { __typename aggregate { __typename count sum { __typename } max { __typename name } } nodes { __typename } } } }`,
			want: `{"__typename": "query_root", "albums_by_pk": {"__typename": "albums", "artist": {"__typename": "artists"},
				"tracks": [{"__typename": "tracks", "t": "tracks"}],
				"tracks_aggregate": {"__typename": "tracks_aggregate", "aggregate": {"__typename": "tracks_aggregate_fields", "count": 10,
					"sum": {"__typename": "tracks_sum_fields"}, "max": {"__typename": "tracks_max_fields", "name": "Spellbound"}},
					"nodes": [{"__typename": "tracks"}, {"__typename": "tracks"}, {"__typename": "tracks"}, {"__typename": "tracks"}, {"__typename": "tracks"},
						{"__typename": "tracks"}, {"__typename": "tracks"}, {"__typename": "tracks"}, {"__typename": "tracks"}, {"__typename": "tracks"}]}}}`,
		},
		{
			name:  "typename_root_aggregate",
			query: `{ albums_aggregate(where: {id: {_eq: 1}}) { __typename nodes { __typename id } } }`,
			field: "albums_aggregate",
			want:  `{"__typename": "albums_aggregate", "nodes": [{"__typename": "albums", "id": 1}]}`,
		},
		// _by_pk
		{
			name:  "by_pk_found",
			query: `{ tracks_by_pk(id: 3503) { id name album { id } } }`,
			field: "tracks_by_pk",
			sql:   `SELECT json_build_object('id', id, 'name', name, 'album', json_build_object('id', album_id)) FROM tracks WHERE id = 3503`,
		},
		{
			name:  "by_pk_not_found",
			query: `{ tracks_by_pk(id: 999999) { id } a: albums_by_pk(id: 1) { id } }`,
			want:  `{"tracks_by_pk": null, "a": {"id": 1}}`,
		},
		{
			name:  "by_pk_composite_key",
			query: `{ playlist_track_by_pk(playlist_id: 1, track_id: 3402) { playlist { name } track { name } } missing: playlist_track_by_pk(playlist_id: 2, track_id: 3402) { track_id } }`,
			sql: `SELECT json_build_object('playlist_track_by_pk', (SELECT json_build_object('playlist', json_build_object('name', p.name), 'track', json_build_object('name', t.name))
				FROM playlist_track pt JOIN playlists p ON p.id = pt.playlist_id JOIN tracks t ON t.id = pt.track_id WHERE pt.playlist_id = 1 AND pt.track_id = 3402),
				'missing', (SELECT json_build_object('track_id', track_id) FROM playlist_track WHERE playlist_id = 2 AND track_id = 3402))`,
		},
		{
			name:  "several_root_fields",
			query: `{ a: artists_by_pk(id: 1) { name } albums_aggregate { aggregate { count } } genres(order_by: {id: asc}, limit: 2) { name } }`,
			sql: `SELECT json_build_object('a', (SELECT json_build_object('name', name) FROM artists WHERE id = 1),
				'albums_aggregate', json_build_object('aggregate', json_build_object('count', (SELECT count(*) FROM albums))),
				'genres', (SELECT json_agg(json_build_object('name', name) ORDER BY id) FROM (SELECT * FROM genres ORDER BY id LIMIT 2) x))`,
		},
	}...)
	runCases(t, e, cases)

	// distinct_on without order_by: one row per value, in no particular
	// order.
	t.Run("distinct_on_without_order_by", func(t *testing.T) {
		got := e.data(t, "admin", nil, `{ tracks(distinct_on: [genre_id], where: {album_id: {_lte: 40}}) { genre_id } }`, nil)["tracks"].([]any)
		var ids []string
		for _, r := range got {
			ids = append(ids, fmt.Sprint(r.(map[string]any)["genre_id"]))
		}
		sort.Strings(ids)
		var want []string
		for _, r := range e.sqlJSON(t, `SELECT json_agg(DISTINCT genre_id) FROM tracks WHERE album_id <= 40`).([]any) {
			want = append(want, fmt.Sprint(r))
		}
		sort.Strings(want)
		if d := cmp.Diff(want, ids); d != "" {
			t.Errorf("distinct genre_ids (-want +got):\n%s", d)
		}
	})
}

// TestQueryErrors pins the errors of arguments the compiler rejects.
func TestQueryErrors(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", chinookConfig, false)
	cases := []struct {
		name, query string
		variables   map[string]any
		code, path  string
		message     string // a regexp
	}{
		{"distinct_on_not_order_by_prefix", `{ tracks(distinct_on: [genre_id], order_by: {id: asc}) { id } }`, nil,
			"validation-failed", "$.selectionSet.tracks.args", `^"distinct_on" columns must match initial "order_by" columns$`},
		{"distinct_on_longer_than_order_by", `{ tracks(distinct_on: [genre_id, album_id], order_by: {genre_id: asc}) { id } }`, nil,
			"validation-failed", "$.selectionSet.tracks.args", `^"distinct_on" columns must match initial "order_by" columns$`},
		{"distinct_on_relationship_order", `{ tracks(distinct_on: [album_id], order_by: {album: {id: asc}}) { id } }`, nil,
			"validation-failed", "$.selectionSet.tracks.args", `^"distinct_on" columns must match initial "order_by" columns$`},
		{"distinct_on_nested_not_prefix", `{ albums { tracks(distinct_on: [genre_id], order_by: {name: asc}) { id } } }`, nil,
			"validation-failed", "$.selectionSet.albums.selectionSet.tracks.args", `^"distinct_on" columns must match initial "order_by" columns$`},
		{"distinct_on_variable_not_prefix", `query ($d: [tracks_select_column!], $o: [tracks_order_by!]) { tracks(distinct_on: $d, order_by: $o) { id } }`,
			map[string]any{"d": []string{"genre_id"}, "o": rawJSON(`{"name": "asc", "genre_id": "asc"}`)},
			"validation-failed", "$.selectionSet.tracks.args", `^"distinct_on" columns must match initial "order_by" columns$`},
		{"unknown_operator", `{ albums(where: {id: {_unexpected: 1}}) { id } }`, nil,
			"validation-failed", "$.selectionSet.albums.args.where.id._unexpected", `^field '_unexpected' not found in type: 'Int_comparison_exp'$`},
		{"unknown_operator_variable", `query ($w: albums_bool_exp) { albums(where: $w) { id } }`, map[string]any{"w": rawJSON(`{"id": {"_unexpected": 1}}`)},
			"validation-failed", "", `^field '_unexpected' not found in type: 'Int_comparison_exp'$`},
		{"eq_null", `{ albums(where: {id: {_eq: null}}) { id } }`, nil,
			"validation-failed", "$.selectionSet.albums.args.where.id._eq", `unexpected null value for type`},
		{"eq_null_variable", `query ($v: Int) { albums(where: {id: {_eq: $v}}) { id } }`, map[string]any{"v": nil},
			"validation-failed", "$.selectionSet.albums.args.where.id._eq", `unexpected null value for type`},
		{"unknown_field", `{ albums { id nope } }`, nil,
			"validation-failed", "$.selectionSet.albums.selectionSet.nope", `^field 'nope' not found in type: 'albums'$`},
		{"unknown_root", `{ nope { id } }`, nil,
			"validation-failed", "$.selectionSet.nope", `^field 'nope' not found in type: 'query_root'$`},
		{"negative_limit", `{ albums(limit: -1) { id } }`, nil, "", "", ``},
		{"negative_limit_variable", `query ($l: Int) { albums(limit: $l) { id } }`, map[string]any{"l": -1}, "", "", ``},
		{"limit_over_32_bits", `{ albums(limit: 4294967296) { id } }`, nil, "", "", ``},
		{"bad_enum_variable", `query ($o: [albums_order_by!]) { albums(order_by: $o) { id } }`, map[string]any{"o": rawJSON(`{"id": "sideways"}`)},
			"", "", ``},
		{"missing_required_variable", `query ($id: Int!) { albums_by_pk(id: $id) { id } }`, map[string]any{},
			"", "", ``},
		{"int_variable_not_int", `query ($id: Int!) { albums_by_pk(id: $id) { id } }`, map[string]any{"id": "one"},
			"", "", ``},
		{"data_exception", `{ invoices(where: {invoice_date: {_eq: "not a date"}}) { id } }`, nil, "data-exception", "", `invalid input syntax`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := e.fail(t, "admin", nil, c.query, c.variables)
			// An empty code: any Hasura code but "unexpected" (the
			// reference does not pin one).
			if c.code == "" && (got.Extensions.Code == "unexpected" || got.Extensions.Code == "") || c.code != "" && got.Extensions.Code != c.code {
				t.Errorf("code %q, want %q (%s)", got.Extensions.Code, c.code, got.Message)
			}
			if c.path != "" && got.Extensions.Path != c.path {
				t.Errorf("path %q, want %q (%s)", got.Extensions.Path, c.path, got.Message)
			}
			if !regexp.MustCompile(c.message).MatchString(got.Message) {
				t.Errorf("message %q does not match %q", got.Message, c.message)
			}
		})
	}
}

// TestRoleLimit checks that a role's limit caps every select of the table:
// the least of the requested limit and the role's.
func TestRoleLimit(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", chinookConfig, false)
	customer := map[string]string{"x-hasura-user-id": "2"}
	count := func(v any) int { return len(v.([]any)) }
	cases := []struct {
		name, query string
		variables   map[string]any
		path        []string
		want        int
	}{
		{"no_limit", `{ tracks { id } }`, nil, []string{"tracks"}, 50},
		{"smaller_limit", `{ tracks(limit: 10) { id } }`, nil, []string{"tracks"}, 10},
		{"larger_limit", `{ tracks(limit: 100) { id } }`, nil, []string{"tracks"}, 50},
		{"larger_limit_variable", `query ($l: Int) { tracks(limit: $l) { id } }`, map[string]any{"l": 1000}, []string{"tracks"}, 50},
		{"smaller_limit_variable", `query ($l: Int) { tracks(limit: $l) { id } }`, map[string]any{"l": 7}, []string{"tracks"}, 7},
		{"offset", `{ tracks(offset: 3490, order_by: {id: asc}) { id } }`, nil, []string{"tracks"}, 13},
		// Album 141 has 57 tracks: the relationship is capped too.
		{"relationship", `{ albums_by_pk(id: 141) { tracks { id } } }`, nil, []string{"albums_by_pk", "tracks"}, 50},
		{"aggregate_nodes", `{ tracks_aggregate { nodes { id } } }`, nil, []string{"tracks_aggregate", "nodes"}, 50},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v any = e.data(t, "customer", customer, c.query, c.variables)
			for _, k := range c.path {
				v = v.(map[string]any)[k]
			}
			if n := count(v); n != c.want {
				t.Errorf("%d rows, want %d", n, c.want)
			}
		})
	}
	// Hasura applies the role's limit to an aggregate's nodes only, never
	// to its count (graphql-engine#1837, fixed by #2027).
	got := e.data(t, "customer", customer, `{ tracks_aggregate { aggregate { count } } albums_by_pk(id: 141) { tracks_aggregate { aggregate { count } } } }`, nil)
	want := asJSON(t, `{"tracks_aggregate": {"aggregate": {"count": 3503}}, "albums_by_pk": {"tracks_aggregate": {"aggregate": {"count": 57}}}}`)
	if d := cmp.Diff(want, any(got)); d != "" {
		t.Errorf("aggregate under a role limit (-want +got):\n%s", d)
	}
	// Admin has no limit.
	if n := count(e.data(t, "admin", nil, `{ albums_by_pk(id: 141) { tracks { id } } }`, nil)["albums_by_pk"].(map[string]any)["tracks"]); n != 57 {
		t.Errorf("admin: %d tracks, want 57", n)
	}
}

// TestOneStatementPerRootField counts the statements sent to Postgres.
func TestOneStatementPerRootField(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", chinookConfig, false)
	deep := `artists(where: {id: {_lte: 5}}) {
		name
		albums(order_by: {id: asc}) {
			title
			tracks(limit: 3) { name genre { name } invoice_lines_aggregate { aggregate { count sum { quantity } } } }
			tracks_aggregate { aggregate { avg { milliseconds } } nodes { album { artist { name } } } }
		}
		albums_aggregate(where: {tracks: {genre: {name: {_eq: "Rock"}}}}) { aggregate { count } }
	}`
	cases := []struct {
		name, role string
		session    map[string]string
		query      string
		want       int
	}{
		{"one_field", "admin", nil, `{ albums(limit: 2) { id } }`, 1},
		{"deep_relationships_and_aggregates", "admin", nil, "{ " + deep + " }", 1},
		{"aggregate_root", "admin", nil, `{ tracks_aggregate(where: {album: {artist: {albums: {}}}}) { aggregate { count max { name } } nodes { album { title } } } }`, 1},
		{"three_root_fields", "admin", nil, "{ a: " + deep + " b: albums_by_pk(id: 1) { title } c: tracks_aggregate { aggregate { count } } }", 3},
		{"typename_needs_no_statement", "admin", nil, `{ __typename x: albums_by_pk(id: 1) { id } }`, 1},
		{"role_with_filters", "customer", map[string]string{"x-hasura-user-id": "2"},
			`{ customers { invoices { invoice_lines { track { album { title } } } } invoices_aggregate: invoices { id } } invoice_lines_aggregate { aggregate { count } } }`, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.tracer.take()
			e.data(t, c.role, c.session, c.query, nil)
			got := e.tracer.take()
			if len(got) != c.want {
				t.Errorf("%d statements, want %d:\n%s", len(got), c.want, strings.Join(got, "\n"))
			}
		})
	}
}

// TestPlanCache checks that requests differing only in scalar variable
// values share one compiled statement and still get their own results, and
// that different variable shapes are compiled separately and correctly.
func TestPlanCache(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", chinookConfig, false)
	q := `query ($id: Int!, $title: String, $l: Int) { albums(where: {artist_id: {_eq: $id}, title: {_ilike: $title}}, order_by: {id: asc}, limit: $l) { id title } }`
	var texts []string
	for _, v := range []map[string]any{
		{"id": 1, "title": "%", "l": 10},
		{"id": 22, "title": "%live%", "l": 2},
		{"id": 90, "title": "%", "l": 100},
	} {
		e.tracer.take()
		got := e.data(t, "admin", nil, q, v)["albums"]
		sql := e.tracer.take()
		if len(sql) != 1 {
			t.Fatalf("%d statements, want 1", len(sql))
		}
		texts = append(texts, sql[0])
		want := e.sqlJSON(t, `SELECT coalesce(json_agg(json_build_object('id', id, 'title', title) ORDER BY id), '[]') FROM (
			SELECT * FROM albums WHERE artist_id = $1 AND title ILIKE $2 ORDER BY id LIMIT $3) x`, v["id"], v["title"], v["l"])
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("variables %v (-want +got):\n%s", v, d)
		}
	}
	if texts[0] != texts[1] || texts[1] != texts[2] {
		t.Errorf("the same query with other values was compiled again:\n%s\n%s\n%s", texts[0], texts[1], texts[2])
	}

	// Shapes: a null where operand, a where with other keys, an absent
	// variable; each compiled for itself, each right.
	wq := `query ($w: tracks_bool_exp, $l: Int) { tracks(where: $w, order_by: {id: asc}, limit: $l) { id } }`
	shapes := []struct {
		vars map[string]any
		sql  string
	}{
		{map[string]any{"w": rawJSON(`{"album_id": {"_eq": 3}}`), "l": 10}, `album_id = 3 ORDER BY id LIMIT 10`},
		{map[string]any{"w": rawJSON(`{"album_id": {"_eq": 4}}`), "l": 2}, `album_id = 4 ORDER BY id LIMIT 2`},
		{map[string]any{"w": rawJSON(`{"name": {"_like": "B%"}, "album_id": {"_lte": 20}}`), "l": 50}, `name LIKE 'B%' AND album_id <= 20 ORDER BY id LIMIT 50`},
		{map[string]any{"w": nil, "l": 3}, `true ORDER BY id LIMIT 3`},
		{map[string]any{"l": 4}, `true ORDER BY id LIMIT 4`},
		{map[string]any{"w": rawJSON(`{}`), "l": nil}, `id < 8 ORDER BY id`},
		{map[string]any{"w": rawJSON(`{"_or": [{"id": {"_eq": 1}}, {"id": {"_eq": 9}}]}`)}, `id IN (1, 9) ORDER BY id`},
		{map[string]any{"w": rawJSON(`{"_or": [{"id": {"_eq": 1}}, {"id": {"_eq": 9}}, {"id": {"_eq": 12}}]}`)}, `id IN (1, 9, 12) ORDER BY id`},
		{map[string]any{"w": rawJSON(`{"_or": [{"id": {"_eq": 2}}, {"id": {"_eq": 10}}]}`)}, `id IN (2, 10) ORDER BY id`},
	}
	for i, s := range shapes {
		got := e.data(t, "admin", nil, wq, s.vars)["tracks"]
		if s.sql == `id < 8 ORDER BY id` {
			// {} selects everything; compare the first rows only.
			got = got.([]any)[:7]
		}
		want := e.sqlJSON(t, `SELECT coalesce(json_agg(json_build_object('id', id) ORDER BY id), '[]') FROM (SELECT id FROM tracks WHERE `+s.sql+`) x`)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("shape %d %v (-want +got):\n%s", i, s.vars, d)
		}
	}

	// The same document as two roles: each gets its own plan, with its
	// own filter.
	rq := `query ($l: Int) { invoices(order_by: {id: asc}, limit: $l) { id customer_id } }`
	for _, u := range []string{"2", "3"} {
		got := e.data(t, "customer", map[string]string{"x-hasura-user-id": u}, rq, map[string]any{"l": 100})["invoices"]
		want := e.sqlJSON(t, `SELECT json_agg(json_build_object('id', id, 'customer_id', customer_id) ORDER BY id) FROM invoices WHERE customer_id = `+u)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("customer %s (-want +got):\n%s", u, d)
		}
	}
	if n := len(e.data(t, "admin", nil, rq, map[string]any{"l": 100})["invoices"].([]any)); n != 100 {
		t.Errorf("admin after customers: %d invoices, want 100", n)
	}
}

// TestInjection sends values, variables, session variables and aliases
// built to escape their place in the SQL. Each must come back as data or
// as a Hasura-shaped error that is not a database syntax error, and the
// tables must still be there afterwards.
func TestInjection(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", chinookConfig, false)
	nasty := []string{
		`'`, `''`, `"`, `\`, `\'`, `'; DROP TABLE albums; --`, `"; DROP TABLE albums; --`,
		`1); DROP TABLE albums; --`, `$1`, `$$; DROP TABLE albums; $$`, `E'\x27'`, "a\x00b", "\x00",
		`%' OR '1'='1`, `*/ DROP TABLE albums; /*`, "Motörhead 🤘 ☃", "\u202e\u0000'", `{"a": "'"}`, `{1,2}'`,
		`x-hasura-user-id`, "line\nbreak\r\t", `') OR true --`,
	}
	badMessage := regexp.MustCompile(`(?i)syntax error|SELECT |FROM |WHERE |json_agg|"_[0-9]+"`)
	checkResp := func(t *testing.T, r response) {
		t.Helper()
		for _, er := range r.Errors {
			if er.Extensions.Code == "unexpected" || er.Extensions.Code == "" || badMessage.MatchString(er.Message) {
				t.Errorf("error is not a clean Hasura error: %s", r.raw)
			}
		}
		if r.Errors == nil && r.Data == nil {
			t.Errorf("neither data nor errors: %s", r.raw)
		}
	}
	for i, s := range nasty {
		lit, _ := json.Marshal(s)
		name := fmt.Sprintf("%d", i)
		t.Run("literal_"+name, func(t *testing.T) {
			r := e.run(t, "admin", nil, fmt.Sprintf(`{ albums(where: {_or: [{title: {_eq: %s}}, {title: {_like: %s}}, {title: {_in: [%s]}}, {title: {_regex: %s}}]}) { id } }`, lit, lit, lit, lit), nil)
			checkResp(t, r)
			r = e.run(t, "admin", nil, fmt.Sprintf(`{ albums(where: {title: {_eq: %s}}) { id } }`, lit), nil)
			checkResp(t, r)
			if r.Errors == nil && len(r.Data["albums"].([]any)) != 0 {
				t.Errorf("matched rows: %s", r.raw)
			}
		})
		t.Run("variable_"+name, func(t *testing.T) {
			r := e.run(t, "admin", nil, `query ($s: String!, $w: tracks_bool_exp) { albums(where: {title: {_eq: $s}}) { id } tracks(where: $w, limit: 1) { id } }`,
				map[string]any{"s": s, "w": map[string]any{"name": map[string]any{"_ilike": s}, "composer": map[string]any{"_nin": []string{s, s}}}})
			checkResp(t, r)
		})
		t.Run("session_"+name, func(t *testing.T) {
			// Session variables are text cast to the column type: a bad
			// value is a data error, never part of the statement.
			r := e.run(t, "customer", map[string]string{"x-hasura-user-id": s}, `{ customers { id } invoices { id } }`, nil)
			checkResp(t, r)
			if r.Errors == nil {
				t.Errorf("non-integer user id accepted: %s", r.raw)
			}
		})
		t.Run("numeric_"+name, func(t *testing.T) {
			r := e.run(t, "admin", nil, `query ($p: numeric, $ts: timestamp) { invoices(where: {total: {_gt: $p}, invoice_date: {_lt: $ts}}) { id } }`,
				map[string]any{"p": s, "ts": s})
			checkResp(t, r)
		})
		t.Run("nlike_"+name, func(t *testing.T) {
			r := e.run(t, "admin", nil, `query ($s: String!) { albums(where: {title: {_nlike: $s}}, limit: 1, order_by: {id: asc}) { id } }`, map[string]any{"s": s})
			checkResp(t, r)
		})
	}
	// A text that matches: quotes and backslashes are data.
	e.exec(t, `INSERT INTO artists (id, name) VALUES (9001, $1), (9002, $2)`, `O'Brien "\" '; DROP TABLE albums; --`, "nul-free ☃ \\x00")
	for _, s := range []string{`O'Brien "\" '; DROP TABLE albums; --`, "nul-free ☃ \\x00"} {
		got := e.data(t, "admin", nil, `query ($n: String) { artists(where: {name: {_eq: $n}}) { name } }`, map[string]any{"n": s})["artists"]
		if d := cmp.Diff([]any{map[string]any{"name": s}}, got); d != "" {
			t.Errorf("round trip of %q (-want +got):\n%s", s, d)
		}
		lit, _ := json.Marshal(s)
		got = e.data(t, "admin", nil, fmt.Sprintf(`{ artists(where: {name: {_eq: %s}}) { name } }`, lit), nil)["artists"]
		if d := cmp.Diff([]any{map[string]any{"name": s}}, got); d != "" {
			t.Errorf("round trip of literal %s (-want +got):\n%s", lit, d)
		}
	}
	// Odd but valid aliases become JSON keys, never SQL.
	for _, alias := range []string{"_", "__x", "select", "DROP", "a1_b2", "from", "_0", "root", "__o0"} {
		q := fmt.Sprintf(`{ %s: albums_by_pk(id: 1) { %s: id %s_t: title artist { %s: name } } }`, alias, alias, alias, alias)
		want := fmt.Sprintf(`{%q: {%q: 1, %q: "For Those About To Rock We Salute You", "artist": {%q: "AC/DC"}}}`, alias, alias, alias+"_t", alias)
		got := e.data(t, "admin", nil, q, nil)
		if d := cmp.Diff(asJSON(t, want), any(got)); d != "" {
			t.Errorf("alias %s (-want +got):\n%s", alias, d)
		}
	}
	// Aliases GraphQL cannot parse are parse errors, not SQL.
	for _, alias := range []string{`"x"`, `a"b`, `a'b`, `a-b`, `1a`} {
		r := e.run(t, "admin", nil, fmt.Sprintf(`{ %s: albums(limit: 1) { id } }`, alias), nil)
		if len(r.Errors) == 0 || r.Errors[0].Extensions.Code == "unexpected" {
			t.Errorf("alias %s: %s", alias, r.raw)
		}
	}
	// Variable names and JSON keys that look like SQL.
	r := e.run(t, "admin", nil, `query ($x: albums_bool_exp) { albums(where: $x) { id } }`, map[string]any{"x": map[string]any{`title"; DROP TABLE albums; --`: map[string]any{"_eq": "x"}}})
	if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "validation-failed" {
		t.Errorf("unknown where key: %s", r.raw)
	}
	// jsonb path argument from a request: see types_test.go.
	if n := e.sqlJSON(t, `SELECT json_build_array((SELECT count(*) FROM albums), (SELECT count(*) FROM artists), (SELECT count(*) FROM customers))`); !cmp.Equal(n, []any{347.0, 277.0, 59.0}) {
		t.Errorf("tables changed: albums, artists, customers = %v", n)
	}
}
