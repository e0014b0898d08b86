package runtime_test

// The Relay API (/v1beta1/relay) against Postgres: connections paged
// forward and backward with Hasura's cursors and pageInfo, global ids and
// node(id:), array relationship connections, the role's filter and
// columns, mutations returning global ids, one statement per root field.
// Every request runs in process and over HTTP against the generated
// server, whose answers must be byte-identical. Expected ids and cursors
// are written from their format (base64 of Postgres's json_build_array /
// json_build_object text), never taken from the engine.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/templates"
)

const (
	relaySQL    = "testdata/fixtures/relay/schema.sql"
	relayConfig = "testdata/fixtures/relay/hasgen.yaml"
)

type relayHarness struct {
	url    string
	e      *engine.Engine
	tracer *sqlTracer
	server *e2e.Server
}

func newRelayHarness(t *testing.T) *relayHarness {
	t.Helper()
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), relaySQL))
	p, err := generate.LoadProject(context.Background(), generate.Options{DatabaseURL: url, Config: filepath.Join(repoRoot(t), relayConfig)})
	if err != nil {
		t.Fatal(err)
	}
	tr := &sqlTracer{}
	cfg, err := templates.RelayEngineConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(cfg, newPool(t, url, tr))
	if err != nil {
		t.Fatal(err)
	}
	srv := e2e.StartT(t, e2e.Project{DatabaseURL: url, Config: filepath.Join(repoRoot(t), relayConfig)},
		map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": e2eSecret})
	return &relayHarness{url: url, e: e, tracer: tr, server: srv}
}

// raw runs a request in process and over HTTP on /v1beta1/relay and
// returns the response, checking that both are the same.
func (h *relayHarness) raw(t *testing.T, role string, vars map[string]string, query string, variables any) string {
	t.Helper()
	req := request(query, variables)
	in := string(h.e.Do(context.Background(), &session.Session{Role: role, Vars: vars}, req))
	headers := map[string]string{"X-Hasura-Admin-Secret": e2eSecret}
	if role != session.AdminRole {
		headers["X-Hasura-Role"] = role
		for k, v := range vars {
			headers[k] = v
		}
	}
	body, _ := json.Marshal(req)
	status, out := post(t, h.server.URL+"/v1beta1/relay", string(body), headers)
	if status != http.StatusOK {
		t.Errorf("HTTP status %d", status)
	}
	if out != in {
		t.Errorf("the generated server answers differently from the engine in process\nquery: %s\n  in process: %s\n   over HTTP: %s", query, in, out)
	}
	return in
}

// data runs a request that must succeed and returns its data, decoded.
func (h *relayHarness) data(t *testing.T, role, query string, variables any) map[string]any {
	t.Helper()
	raw := h.raw(t, role, nil, query, variables)
	var r struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.Unmarshal([]byte(raw), &r); err != nil || len(r.Errors) > 0 || r.Data == nil {
		t.Fatalf("query failed: %s\nquery: %s", raw, query)
	}
	return r.Data
}

// nodeID is a global id as Hasura v2 writes it: base64 of
// json_build_array(1, schema, table, pk...)::text.
func nodeID(schema, table string, pk ...any) string {
	parts := []string{"1", jsonText(schema), jsonText(table)}
	for _, v := range pk {
		parts = append(parts, jsonText(v))
	}
	return base64.StdEncoding.EncodeToString([]byte("[" + strings.Join(parts, ", ") + "]"))
}

// cursor is a cursor as Hasura writes it: base64 of json_build_object of
// the order values (key, value, key, value...)::text.
func cursor(kv ...any) string {
	var parts []string
	for i := 0; i < len(kv); i += 2 {
		parts = append(parts, jsonText(kv[i])+" : "+jsonText(kv[i+1]))
	}
	return base64.StdEncoding.EncodeToString([]byte("{" + strings.Join(parts, ", ") + "}"))
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// page is a connection's edges (their nodes' ids and cursors) and
// pageInfo, as a test expects them.
type page struct {
	IDs, Cursors        []string
	HasNext, HasPrev    bool
	StartCursor, EndCur any
}

const pageSelection = `edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`

func toPage(t *testing.T, conn any) page {
	t.Helper()
	m := conn.(map[string]any)
	var p page
	for _, e := range m["edges"].([]any) {
		edge := e.(map[string]any)
		p.Cursors = append(p.Cursors, edge["cursor"].(string))
		p.IDs = append(p.IDs, edge["node"].(map[string]any)["id"].(string))
	}
	info := m["pageInfo"].(map[string]any)
	p.HasNext, p.HasPrev = info["hasNextPage"].(bool), info["hasPreviousPage"].(bool)
	p.StartCursor, p.EndCur = info["startCursor"], info["endCursor"]
	return p
}

// wantPage is the page of the albums with these ids, in order, their
// cursors those of a primary key order.
func wantAlbums(hasNext, hasPrev bool, ids ...int) page {
	p := page{HasNext: hasNext, HasPrev: hasPrev}
	for _, id := range ids {
		p.IDs = append(p.IDs, nodeID("public", "albums", id))
		p.Cursors = append(p.Cursors, cursor("id", id))
	}
	if len(ids) > 0 {
		p.StartCursor, p.EndCur = p.Cursors[0], p.Cursors[len(p.Cursors)-1]
	}
	return p
}

// ratedAlbums is wantAlbums for an order by rating.
func ratedAlbums(hasNext, hasPrev bool, ids ...int) page {
	ratings := map[int]any{1: 5, 2: nil, 3: 3, 4: nil, 5: 4, 6: 1}
	p := page{HasNext: hasNext, HasPrev: hasPrev}
	for _, id := range ids {
		p.IDs = append(p.IDs, nodeID("public", "albums", id))
		p.Cursors = append(p.Cursors, cursor("rating", ratings[id], "id", id))
	}
	p.StartCursor, p.EndCur = p.Cursors[0], p.Cursors[len(p.Cursors)-1]
	return p
}

func TestRelayPaging(t *testing.T) {
	h := newRelayHarness(t)
	cases := []struct {
		name, role, args string
		want             page
	}{
		{"first", "admin", `first: 2`, wantAlbums(true, false, 1, 2)},
		{"first_after", "admin", `first: 2, after: "` + cursor("id", 2) + `"`, wantAlbums(true, true, 3, 4)},
		{"first_after_to_the_end", "admin", `first: 10, after: "` + cursor("id", 4) + `"`, wantAlbums(false, true, 5, 6)},
		{"after_the_last", "admin", `after: "` + cursor("id", 6) + `"`, wantAlbums(false, false)},
		{"all", "admin", ``, wantAlbums(false, false, 1, 2, 3, 4, 5, 6)},
		{"last", "admin", `last: 2`, wantAlbums(false, true, 5, 6)},
		{"last_before", "admin", `last: 2, before: "` + cursor("id", 5) + `"`, wantAlbums(true, true, 3, 4)},
		{"last_before_to_the_start", "admin", `last: 10, before: "` + cursor("id", 2) + `"`, wantAlbums(true, false, 1)},
		{"first_before", "admin", `first: 1, before: "` + cursor("id", 5) + `"`, wantAlbums(true, false, 1)},
		{"where", "admin", `first: 1, where: {artist_id: {_eq: 2}}`, wantAlbums(true, false, 5)},
		{"nothing", "admin", `where: {title: {_eq: "none"}}`, page{}},
		// The role sees the public albums only: 2 and 6 never come back,
		// and its pages are counted over its rows.
		{"role_first", "user", `first: 2`, wantAlbums(true, false, 1, 3)},
		{"role_after", "user", `first: 2, after: "` + cursor("id", 3) + `"`, wantAlbums(false, true, 4, 5)},
		{"role_last", "user", `last: 3`, wantAlbums(false, true, 3, 4, 5)},
		{"role_before_hidden_row", "user", `last: 5, before: "` + cursor("id", 6) + `"`, wantAlbums(false, false, 1, 3, 4, 5)},
		// A role's limit caps the rows before any cursor applies, as in
		// Hasura: the rows past it are never reached.
		{"role_limit_first", "limited", `first: 2`, wantAlbums(true, false, 1, 2)},
		{"role_limit_after", "limited", `first: 2, after: "` + cursor("id", 2) + `"`, wantAlbums(false, true, 3)},
		{"role_limit_last", "limited", `last: 1`, wantAlbums(false, true, 3)},
		{"role_limit_past_it", "limited", `after: "` + cursor("id", 3) + `"`, wantAlbums(false, false)},
		// A nullable order column (ratings 5, null, 3, null, 4, 1): the
		// nulls are placed as the order says in pageInfo; Hasura's cursor
		// condition compares values, so rows with a null are never after
		// a cursor (nor is anything after a null cursor value).
		{"nulls_last_first", "admin", `first: 3, order_by: {rating: asc}`, ratedAlbums(true, false, 6, 3, 5)},
		{"nulls_last_after", "admin", `order_by: {rating: asc}, after: "` + cursor("rating", 4, "id", 5) + `"`, ratedAlbums(true, true, 1)},
		{"nulls_first", "admin", `first: 2, order_by: {rating: desc}`, ratedAlbums(true, false, 2, 4)},
		{"nulls_first_last", "admin", `last: 2, order_by: {rating: desc}`, ratedAlbums(false, true, 3, 6)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := `{ albums_connection` + map[bool]string{true: "(" + c.args + ")", false: ""}[c.args != ""] + ` { ` + pageSelection + ` } }`
			got := toPage(t, h.data(t, c.role, q, nil)["albums_connection"])
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", q, diff)
			}
		})
	}

	// Through variables: the same statement serves every cursor.
	t.Run("variables", func(t *testing.T) {
		q := `query ($n: Int, $after: String) { albums_connection(first: $n, after: $after) { ` + pageSelection + ` } }`
		var after any
		var got []string
		for range 4 {
			p := toPage(t, h.data(t, "admin", q, map[string]any{"n": 2, "after": after})["albums_connection"])
			got = append(got, p.IDs...)
			if !p.HasNext {
				break
			}
			after = p.EndCur
		}
		if diff := cmp.Diff(wantAlbums(false, false, 1, 2, 3, 4, 5, 6).IDs, got); diff != "" {
			t.Errorf("paged through (-want +got):\n%s", diff)
		}
	})
}

func TestRelayOrderBy(t *testing.T) {
	h := newRelayHarness(t)
	// Years: 1 2001, 2 2002, 3 2003, 4 2003, 5 2001, 6 2005; the primary
	// key breaks ties and is part of the cursor.
	q := `query ($after: String) { albums_connection(first: 3, order_by: {year: desc}, after: $after) {
		edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`
	p1 := h.data(t, "admin", q, map[string]any{"after": nil})["albums_connection"].(map[string]any)
	ids := func(conn map[string]any) []string {
		var out []string
		for _, e := range conn["edges"].([]any) {
			out = append(out, e.(map[string]any)["node"].(map[string]any)["id"].(string))
		}
		return out
	}
	want := []string{nodeID("public", "albums", 6), nodeID("public", "albums", 3), nodeID("public", "albums", 4)}
	if diff := cmp.Diff(want, ids(p1)); diff != "" {
		t.Fatalf("first page (-want +got):\n%s", diff)
	}
	end := p1["pageInfo"].(map[string]any)["endCursor"]
	if end != cursor("year", 2003, "id", 4) {
		t.Errorf("endCursor %v, want %s", end, cursor("year", 2003, "id", 4))
	}
	p2 := h.data(t, "admin", q, map[string]any{"after": end})["albums_connection"].(map[string]any)
	want = []string{nodeID("public", "albums", 2), nodeID("public", "albums", 1), nodeID("public", "albums", 5)}
	if diff := cmp.Diff(want, ids(p2)); diff != "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
	info := p2["pageInfo"].(map[string]any)
	if info["hasNextPage"] != false || info["hasPreviousPage"] != true {
		t.Errorf("second page's pageInfo: %v", info)
	}

	// distinct_on: the first album of each artist (1 and 5), paged.
	q = `query ($after: String) { albums_connection(first: 1, distinct_on: [artist_id], order_by: {artist_id: asc}, after: $after) {
		edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage } } }`
	d1 := h.data(t, "admin", q, map[string]any{"after": nil})["albums_connection"].(map[string]any)
	d2 := h.data(t, "admin", q, map[string]any{"after": cursor("artist_id", 1, "id", 1)})["albums_connection"].(map[string]any)
	if got := ids(d1); len(got) != 1 || got[0] != nodeID("public", "albums", 1) || d1["pageInfo"].(map[string]any)["hasNextPage"] != true {
		t.Errorf("distinct_on, first page: %v", d1)
	}
	if got := ids(d2); len(got) != 1 || got[0] != nodeID("public", "albums", 5) || d2["pageInfo"].(map[string]any)["hasNextPage"] != false || d2["pageInfo"].(map[string]any)["hasPreviousPage"] != true {
		t.Errorf("distinct_on, second page: %v", d2)
	}

	// Through an object relationship: the cursor nests the value under the
	// relationship's name.
	q = `{ albums_connection(first: 1, order_by: [{artist: {name: desc}}, {title: asc}]) { edges { cursor node { title } } } }`
	edge := h.data(t, "admin", q, nil)["albums_connection"].(map[string]any)["edges"].([]any)[0].(map[string]any)
	if got, want := decodeB64(t, edge["cursor"]), `{"artist" : {"name" : "Beta"}, "title" : "B1", "id" : 5}`; got != want {
		t.Errorf("cursor %s, want %s", got, want)
	}
	after := edge["cursor"].(string)
	q = `{ albums_connection(first: 1, order_by: [{artist: {name: desc}}, {title: asc}], after: "` + after + `") { edges { node { title } } } }`
	got := h.data(t, "admin", q, nil)["albums_connection"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)["title"]
	if got != "B2" {
		t.Errorf("after the first by artist name: %v, want B2", got)
	}
}

func decodeB64(t *testing.T, v any) string {
	t.Helper()
	s, _ := v.(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("not base64: %v", v)
	}
	return string(b)
}

func TestRelayNode(t *testing.T) {
	h := newRelayHarness(t)
	q := `query ($id: ID!) { node(id: $id) { id __typename ... on albums { title artist { id name } tags_connection { edges { node { tag } } } } ... on album_tags { tag album { title } } ... on artists { name } } }`
	cases := []struct {
		name, role, id string
		want           string // the node, as JSON
	}{
		{"album", "admin", nodeID("public", "albums", 3),
			`{"id":"` + nodeID("public", "albums", 3) + `","__typename":"albums","title":"A3","artist":{"id":"` + nodeID("public", "artists", 1) + `","name":"Alpha"},"tags_connection":{"edges":[{"node":{"tag":"jazz"}}]}}`},
		{"artist", "admin", nodeID("public", "artists", 2), `{"id":"` + nodeID("public", "artists", 2) + `","__typename":"artists","name":"Beta"}`},
		{"composite_key", "admin", nodeID("public", "album_tags", 1, "live"),
			`{"id":"` + nodeID("public", "album_tags", 1, "live") + `","__typename":"album_tags","tag":"live","album":{"title":"A1"}}`},
		{"no_such_row", "admin", nodeID("public", "albums", 99), `null`},
		{"hidden_private_album", "admin", nodeID("public", "albums", 2), `{"id":"` + nodeID("public", "albums", 2) + `","__typename":"albums","title":"A2","artist":{"id":"` + nodeID("public", "artists", 1) + `","name":"Alpha"},"tags_connection":{"edges":[{"node":{"tag":"secret"}}]}}`},
		// What the role's filter hides never comes back through node.
		{"role_public_album", "user", nodeID("public", "albums", 1),
			`{"id":"` + nodeID("public", "albums", 1) + `","__typename":"albums","title":"A1","artist":{"id":"` + nodeID("public", "artists", 1) + `","name":"Alpha"},"tags_connection":{"edges":[{"node":{"tag":"live"}}, {"node":{"tag":"rock"}}]}}`},
		{"role_private_album", "user", nodeID("public", "albums", 2), `null`},
		{"role_private_albums_tag", "user", nodeID("public", "album_tags", 2, "secret"), `null`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := h.raw(t, c.role, nil, q, map[string]any{"id": c.id})
			if want := `{"data":{"node":` + c.want + `}}`; raw != want {
				t.Errorf("got  %s\nwant %s", raw, want)
			}
			// The same as a literal.
			lit := strings.Replace(strings.Replace(q, "query ($id: ID!) ", "", 1), "$id", strconv.Quote(c.id), 1)
			if raw2 := h.raw(t, c.role, nil, lit, nil); raw2 != raw {
				t.Errorf("literal id: %s\nvariable: %s", raw2, raw)
			}
		})
	}
	// The role's columns: year is not the user's.
	r := h.raw(t, "user", nil, `{ node(id: "`+nodeID("public", "albums", 1)+`") { ... on albums { year } } }`, nil)
	if !strings.Contains(r, `"errors"`) || strings.Contains(r, "2001") {
		t.Errorf("user selected year: %s", r)
	}
}

func TestRelayArrayConnection(t *testing.T) {
	h := newRelayHarness(t)
	q := `{ artists_connection { edges { node { name albums_connection(first: 1, order_by: {title: desc}) { edges { node { title } } pageInfo { hasNextPage hasPreviousPage } } } } } }`
	want := `{"data":{"artists_connection":{"edges":[` +
		`{"node":{"name":"Alpha","albums_connection":{"edges":[{"node":{"title":"A4"}}],"pageInfo":{"hasNextPage":true,"hasPreviousPage":false}}}}, ` +
		`{"node":{"name":"Beta","albums_connection":{"edges":[{"node":{"title":"B2"}}],"pageInfo":{"hasNextPage":true,"hasPreviousPage":false}}}}]}}}`
	if got := h.raw(t, "admin", nil, q, nil); got != want {
		t.Errorf("admin\ngot  %s\nwant %s", got, want)
	}
	// The user: Beta's only public album is B1, and no next page.
	want = `{"data":{"artists_connection":{"edges":[` +
		`{"node":{"name":"Alpha","albums_connection":{"edges":[{"node":{"title":"A4"}}],"pageInfo":{"hasNextPage":true,"hasPreviousPage":false}}}}, ` +
		`{"node":{"name":"Beta","albums_connection":{"edges":[{"node":{"title":"B1"}}],"pageInfo":{"hasNextPage":false,"hasPreviousPage":false}}}}]}}}`
	if got := h.raw(t, "user", nil, q, nil); got != want {
		t.Errorf("user\ngot  %s\nwant %s", got, want)
	}
}

func TestRelayMutationAndStatements(t *testing.T) {
	h := newRelayHarness(t)
	// Mutations return global ids; the role's update filter applies.
	got := h.raw(t, "user", nil, `mutation { update_albums(where: {}, _set: {title: "T"}) { affected_rows returning { id title } } }`, nil)
	var ids []string
	for _, id := range []int{1, 3, 4, 5} {
		ids = append(ids, fmt.Sprintf(`{"id":"%s","title":"T"}`, nodeID("public", "albums", id)))
	}
	want := `{"data":{"update_albums":{"affected_rows":4,"returning":[` + strings.Join(ids, ",") + `]}}}`
	if got != want && !sameReturning(got, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	// One statement per root field, however deep.
	h.tracer.take()
	h.data(t, "admin", `{ a: artists_connection(first: 1) { edges { node { albums_connection(last: 2) { edges { node { tags_connection { edges { cursor } } } } } } } }
		b: node(id: "`+nodeID("public", "albums", 1)+`") { id } }`, nil)
	if n := len(h.tracer.take()); n != 2 {
		t.Errorf("%d statements for two root fields", n)
	}
}

// sameReturning compares mutation responses whose returning rows may come
// in any order.
func sameReturning(a, b string) bool {
	norm := func(s string) string {
		var v struct {
			Data struct {
				U struct {
					N int              `json:"affected_rows"`
					R []map[string]any `json:"returning"`
				} `json:"update_albums"`
			}
		}
		json.Unmarshal([]byte(s), &v)
		var rows []string
		for _, r := range v.Data.U.R {
			rows = append(rows, jsonText(r))
		}
		sortStrings(rows)
		return strconv.Itoa(v.Data.U.N) + strings.Join(rows, ",")
	}
	return norm(a) == norm(b)
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func TestRelayErrors(t *testing.T) {
	h := newRelayHarness(t)
	cases := []struct {
		name, query, want string
	}{
		{"first_and_last", `{ albums_connection(first: 1, last: 1) { edges { cursor } } }`, `"first" and "last" are not allowed at once`},
		{"after_and_before", `{ albums_connection(after: "` + cursor("id", 1) + `", before: "` + cursor("id", 3) + `") { edges { cursor } } }`, `"after" and "before" are not allowed at once`},
		{"bad_cursor", `{ albums_connection(after: "bm90IGpzb24=") { edges { cursor } } }`, `the "after" or "before" cursor is invalid`},
		{"cursor_of_another_order", `{ albums_connection(order_by: {title: asc}, after: "` + cursor("id", 1) + `") { edges { cursor } } }`, `the "after" or "before" cursor is invalid`},
		{"bad_node_id", `{ node(id: "abc") { id } }`, `invalid node id`},
		{"unknown_table", `{ node(id: "` + nodeID("public", "nope", 1) + `") { id } }`, `invalid node id: no such table found`},
		{"missing_key_value", `{ node(id: "` + base64.StdEncoding.EncodeToString([]byte(`[1, "public", "album_tags", 1]`)) + `") { id } }`, `invalid node id: primary key columns`},
		{"plain_root_fields_are_not_relay", `{ albums { id } }`, `field 'albums' not found in type: 'query_root'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := h.raw(t, "admin", nil, c.query, nil)
			var r struct {
				Data   any
				Errors []struct{ Message string }
			}
			json.Unmarshal([]byte(got), &r)
			if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, c.want) || r.Data != nil {
				t.Errorf("got %s\nwant an error containing %q", got, c.want)
			}
		})
	}
}

// TestRelaySubscription subscribes to a connection and to a node on the
// generated server's /v1beta1/relay websocket, as the user role: the
// first results, then new ones after a write, never the hidden rows.
func TestRelaySubscription(t *testing.T) {
	h := newRelayHarness(t)
	d := websocket.Dialer{HandshakeTimeout: rtTimeout, Subprotocols: []string{protoNew}}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(h.server.URL, "http")+"/v1beta1/relay", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send := func(v any) {
		if err := c.WriteJSON(v); err != nil {
			t.Fatal(err)
		}
	}
	next := func() (typ, id, payload string) {
		for {
			c.SetReadDeadline(time.Now().Add(rtTimeout))
			var m struct {
				Type, ID string
				Payload  json.RawMessage
			}
			if err := c.ReadJSON(&m); err != nil {
				t.Fatal(err)
			}
			if m.Type == "ping" {
				send(map[string]any{"type": "pong"})
				continue
			}
			return m.Type, m.ID, string(m.Payload)
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]any{
		"x-hasura-admin-secret": e2eSecret, "x-hasura-role": "user"}}})
	if typ, _, p := next(); typ != "connection_ack" {
		t.Fatalf("%s %s", typ, p)
	}
	send(map[string]any{"type": "subscribe", "id": "c", "payload": map[string]any{
		"query": `subscription { albums_connection(last: 2) { edges { node { id title } } pageInfo { hasPreviousPage } } }`}})
	send(map[string]any{"type": "subscribe", "id": "n", "payload": map[string]any{
		"query":     `subscription ($id: ID!) { node(id: $id) { ... on albums { title } } }`,
		"variables": map[string]any{"id": nodeID("public", "albums", 2)}}})
	want := map[string]string{
		"c": `{"data":{"albums_connection":{"edges":[{"node":{"id":"` + nodeID("public", "albums", 4) + `","title":"A4"}}, {"node":{"id":"` + nodeID("public", "albums", 5) + `","title":"B1"}}],"pageInfo":{"hasPreviousPage":true}}}}`,
		// Album 2 is not public: the user's node subscription sees null.
		"n": `{"data":{"node":null}}`,
	}
	for range 2 {
		typ, id, p := next()
		if typ != "next" || want[id] != p {
			t.Fatalf("%s %s: %s\nwant %s", typ, id, p, want[id])
		}
	}
	// Album 6 becomes public: it is the user's last album now. Album 2
	// stays private, so its node sends nothing new.
	pool := newPool(t, h.url, nil)
	if _, err := pool.Exec(context.Background(), `UPDATE albums SET public = true WHERE id = 6`); err != nil {
		t.Fatal(err)
	}
	typ, id, p := next()
	want6 := `{"data":{"albums_connection":{"edges":[{"node":{"id":"` + nodeID("public", "albums", 5) + `","title":"B1"}}, {"node":{"id":"` + nodeID("public", "albums", 6) + `","title":"B2"}}],"pageInfo":{"hasPreviousPage":true}}}}`
	if typ != "next" || id != "c" || p != want6 {
		t.Fatalf("after the update: %s %s %s\nwant %s", typ, id, p, want6)
	}
}

// TestRelayCursorChecks sends, after a good cursor compiled the plan, bad
// ones through the same variables: each is refused as Hasura refuses it,
// never sent to Postgres.
func TestRelayCursorChecks(t *testing.T) {
	h := newRelayHarness(t)
	q := `query ($after: String, $n: Int) { albums_connection(first: $n, after: $after) { edges { cursor } } }`
	h.data(t, "admin", q, map[string]any{"after": cursor("id", 1), "n": 1})
	for _, c := range []struct {
		vars map[string]any
		want string
	}{
		{map[string]any{"after": "%%%", "n": 1}, `the \"after\" or \"before\" cursor is invalid`},
		{map[string]any{"after": cursor("title", "A1"), "n": 1}, `the \"after\" or \"before\" cursor is invalid`},
		{map[string]any{"after": cursor("id", 1), "n": -1}, `unexpected negative value`},
	} {
		h.tracer.take()
		got := h.raw(t, "admin", nil, q, c.vars)
		if !strings.Contains(got, c.want) || strings.Contains(got, `"data"`) {
			t.Errorf("%v: %s", c.vars, got)
		}
		if n := len(h.tracer.take()); n != 0 {
			t.Errorf("%v: %d statements run", c.vars, n)
		}
	}
}

// TestRelayIntrospection reads the generated server's Relay schema by
// introspection, as relay-compiler does: the user's query_root holds the
// connections of the tables with a primary key (plays has none) and
// node, no plain select field, and Node's implementations are those
// tables.
func TestRelayIntrospection(t *testing.T) {
	h := newRelayHarness(t)
	body := `{"query": "{ __schema { queryType { fields { name } } } Node: __type(name: \"Node\") { kind possibleTypes { name } } }"}`
	status, got := post(t, h.server.URL+"/v1beta1/relay", body, map[string]string{"X-Hasura-Admin-Secret": e2eSecret, "X-Hasura-Role": "user"})
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	var r struct {
		Data struct {
			Schema struct {
				QueryType struct{ Fields []struct{ Name string } }
			} `json:"__schema"`
			Node struct {
				Kind          string
				PossibleTypes []struct{ Name string }
			}
		}
	}
	if err := json.Unmarshal([]byte(got), &r); err != nil {
		t.Fatal(err)
	}
	var fields, types []string
	for _, f := range r.Data.Schema.QueryType.Fields {
		fields = append(fields, f.Name)
	}
	for _, f := range r.Data.Node.PossibleTypes {
		types = append(types, f.Name)
	}
	sortStrings(fields)
	sortStrings(types)
	// hello is the generated project's starter custom field: custom fields
	// are part of the Relay schema too.
	if diff := cmp.Diff([]string{"album_tags_connection", "albums_connection", "artists_connection", "hello", "node"}, fields); diff != "" {
		t.Errorf("query_root (-want +got):\n%s\n%s", diff, got)
	}
	if diff := cmp.Diff([]string{"album_tags", "albums", "artists"}, types); diff != "" || r.Data.Node.Kind != "INTERFACE" {
		t.Errorf("Node %s (-want +got):\n%s", r.Data.Node.Kind, diff)
	}
}

// BenchmarkRelayConnection pages through 100,000 albums 20 at a time as
// the user role (half of them public): the first page, a page after a
// cursor in the middle, the last page, and for comparison the same rows
// from /v1/graphql with where and limit.
//
//	go test ./runtime -run '^$' -bench RelayConnection
func BenchmarkRelayConnection(b *testing.B) {
	ctx := context.Background()
	url := pgtest.NewDatabase(b, filepath.Join(repoRoot(b), relaySQL))
	pool := newPool(b, url, nil)
	if _, err := pool.Exec(ctx, `INSERT INTO albums (artist_id, title, year, public) SELECT 1 + i % 2, 'T' || i, 1950 + i % 70, i % 2 = 0 FROM generate_series(1, 100000) AS i; ANALYZE albums`); err != nil {
		b.Fatal(err)
	}
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: url, Config: filepath.Join(repoRoot(b), relayConfig)})
	if err != nil {
		b.Fatal(err)
	}
	rcfg, err := templates.RelayEngineConfig(p)
	if err != nil {
		b.Fatal(err)
	}
	relay, err := engine.New(rcfg, pool)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := templates.EngineConfig(p)
	if err != nil {
		b.Fatal(err)
	}
	plain, err := engine.New(cfg, pool)
	if err != nil {
		b.Fatal(err)
	}
	user := &session.Session{Role: "user"}
	conn := `query ($after: String) { albums_connection(first: 20, after: $after) { edges { cursor node { id title } } pageInfo { hasNextPage } } }`
	cases := []struct {
		name string
		e    *engine.Engine
		q    string
		vars any
	}{
		{"relay_first_page", relay, conn, map[string]any{"after": nil}},
		{"relay_after_middle", relay, conn, map[string]any{"after": cursor("id", 50000)}},
		{"relay_last_page", relay, `{ albums_connection(last: 20) { edges { cursor node { id title } } pageInfo { hasPreviousPage } } }`, nil},
		{"plain_after_middle", plain, `query ($id: Int) { albums(where: {id: {_gt: $id}}, order_by: {id: asc}, limit: 20) { id title } }`, map[string]any{"id": 50000}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := request(c.q, c.vars)
			if out := c.e.Do(ctx, user, req); strings.Contains(string(out), `"errors"`) {
				b.Fatal(string(out))
			}
			b.ResetTimer()
			for range b.N {
				c.e.Do(ctx, user, req)
			}
		})
	}
}
