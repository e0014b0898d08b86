package generate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/jackc/pgx/v5"
)

// The two real Hasura projects of ../shared/hasura-projects move over
// unchanged: their migrations make a fresh database, their metadata
// directory is read as Hasura's CLI wrote it, every key hasgen does not
// serve is listed (and accepted with IgnoreUnsupported), and the generated
// server answers like Hasura. Expected answers come from the Chinook data:
// album 1 is "For Those About To Rock We Salute You" by AC/DC, with 10
// tracks; there are 347 albums and the next AlbumId is 348.

// hasuraProject is one project of ../shared/hasura-projects.
type hasuraProject struct {
	dir       string // under ../shared/hasura-projects
	migration string // the up.sql glob, relative to dir
	// unsupported are the keys reported, as "file:line: message".
	unsupported []string
	// triggers are the event triggers then the cron triggers read, by name.
	triggers []string
}

func projectsDir(t *testing.T) string {
	t.Helper()
	root, err := e2e.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "..", "shared", "hasura-projects")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the Hasura projects are read from ../shared beside the checkout: %v", err)
	}
	return dir
}

// projectDB makes a fresh database from the project's migrations and
// returns its URL and its introspected schema (the schemas the metadata
// names).
func projectDB(t *testing.T, dir, migration, meta string) (string, *introspect.Schema) {
	t.Helper()
	ups, err := filepath.Glob(filepath.Join(dir, migration))
	if err != nil || len(ups) != 1 {
		t.Fatalf("migration %s: %v %v", migration, ups, err)
	}
	url := pgtest.NewDatabase(t, ups[0])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	s, err := introspect.Load(ctx, conn, metadata.Schemas(meta))
	if err != nil {
		t.Fatal(err)
	}
	return url, s
}

func TestHasuraProjectsValidate(t *testing.T) {
	base := projectsDir(t)
	projects := []hasuraProject{
		{dir: "observability-chinook", migration: "migrations/default/*/up.sql", unsupported: []string{
			"databases.yaml:11: database source \"default\" configuration.connection_info.pool_settings: retries is not supported by hasgen",
			"databases.yaml:18: database source \"default\": health_check is not supported by hasgen",
			"databases.yaml:26: database source \"failed\" is not supported by hasgen: it serves one source, \"default\"",
			"opentelemetry.yaml:1: opentelemetry.status is not supported by hasgen",
			"opentelemetry.yaml:2: opentelemetry.data_types is not supported by hasgen",
			"opentelemetry.yaml:5: opentelemetry.exporter_otlp is not supported by hasgen",
			"opentelemetry.yaml:12: opentelemetry.batch_span_processor is not supported by hasgen",
		}, triggers: []string{"Album_insert", "Album_insert_failed", "album_insert", "cron_failure", "cron_success"}},
		// Its action actionName is served (TestHasuraProjectsServe).
		{dir: "cli-v3-chinook", migration: "migrations/pg/*/up.sql"},
	}
	for _, p := range projects {
		t.Run(p.dir, func(t *testing.T) {
			dir := filepath.Join(base, p.dir)
			meta := filepath.Join(dir, "metadata")
			url, s := projectDB(t, dir, p.migration, meta)
			md, err := metadata.Load(meta, s)
			if err != nil {
				t.Fatalf("the metadata does not load unchanged:\n%v", err)
			}
			if len(md.EventTriggers) > 0 {
				captureProjectEvents(t, url, md)
			}
			var got []string
			for _, e := range md.Unsupported {
				got = append(got, fmt.Sprintf("%s:%d: %s", filepath.Base(e.Pos.File), e.Pos.Line, e.Msg))
			}
			sortByFile := func(l []string) {
				// Load sorts by full path; compare as sets in a fixed order.
				for i := range l {
					for j := i + 1; j < len(l); j++ {
						if l[j] < l[i] {
							l[i], l[j] = l[j], l[i]
						}
					}
				}
			}
			want := append([]string(nil), p.unsupported...)
			sortByFile(got)
			sortByFile(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("unsupported keys (-want +got):\n%s", diff)
			}
			var triggers []string
			for _, tr := range md.EventTriggers {
				triggers = append(triggers, tr.Name)
			}
			for _, c := range md.CronTriggers {
				triggers = append(triggers, c.Name)
			}
			if diff := cmp.Diff(p.triggers, triggers); diff != "" {
				t.Errorf("triggers (-want +got):\n%s", diff)
			}
			if len(md.Tables) != 11 && p.dir == "observability-chinook" || len(md.Tables) != 7 && p.dir == "cli-v3-chinook" {
				t.Errorf("%d tables tracked", len(md.Tables))
			}
		})
	}
}

// captureProjectEvents installs the project's event triggers on its
// database and checks that an insert into a table is captured once by
// each of its triggers that fires on inserts.
func captureProjectEvents(t *testing.T, url string, md *metadata.Metadata) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	cfg := &events.Config{Triggers: md.EventTriggers}
	if _, err := conn.Exec(ctx, events.InstallSQL(cfg)); err != nil {
		t.Fatalf("install the event triggers: %v", err)
	}
	if err := events.Check(ctx, conn, cfg); err != nil {
		t.Fatalf("check: %v", err)
	}
	want := map[string]int{}
	inserted := map[string]bool{}
	for _, tr := range md.EventTriggers {
		if tr.Insert == nil {
			continue
		}
		want[tr.Name] = 1 // one row per table, captured by each trigger of it
		if inserted[tr.Schema+"."+tr.Table] {
			continue
		}
		inserted[tr.Schema+"."+tr.Table] = true
		// A row of defaults may break a constraint: copy an existing row
		// instead, without its key.
		var cols []string
		rows, err := conn.Query(ctx, `SELECT quote_ident(attname) FROM pg_attribute
			WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
			  AND attnum <> ALL (SELECT unnest(conkey) FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p')`,
			pgx.Identifier{tr.Schema, tr.Table}.Sanitize())
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, c)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		table := pgx.Identifier{tr.Schema, tr.Table}.Sanitize()
		list := strings.Join(cols, ", ")
		if _, err := conn.Exec(ctx, "INSERT INTO "+table+" ("+list+") SELECT "+list+" FROM "+table+" LIMIT 1"); err != nil {
			t.Fatalf("insert into %s: %v", table, err)
		}
	}
	got := map[string]int{}
	rows, err := conn.Query(ctx, `SELECT trigger_name, count(*) FROM hdb_catalog.event_log WHERE payload->>'op' = 'INSERT' GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		got[name] += n
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("insert events captured by trigger (-want +got):\n%s", diff)
	}
}

// TestHasuraProjectsServe generates, builds and starts each project's
// server, then queries it per role, mutates, aggregates and subscribes.
func TestHasuraProjectsServe(t *testing.T) {
	base := projectsDir(t)

	t.Run("observability-chinook", func(t *testing.T) {
		dir := filepath.Join(base, "observability-chinook")
		meta := filepath.Join(dir, "metadata")
		url, _ := projectDB(t, dir, "migrations/default/*/up.sql", meta)
		// The metadata reads the URL from HGE_DATABASE_URL, as Hasura does:
		// the usual variable points nowhere, so only that one can work. Its
		// read_replicas name HGE_DATABASE_REPLICA_URL: the same database here.
		srv := e2e.StartT(t, e2e.Project{DatabaseURL: url, Config: meta, IgnoreUnsupported: true}, map[string]string{
			"HGE_DATABASE_URL":                     url,
			"HGE_DATABASE_REPLICA_URL":             url,
			"HASURA_GRAPHQL_DATABASE_URL":          "postgres://nobody@127.0.0.1:1/nothing",
			"HASURA_GRAPHQL_ADMIN_SECRET":          "secret",
			"HASURA_GRAPHQL_UNAUTHORIZED_ROLE":     "anonymous",
			"HASURA_GRAPHQL_EXPERIMENTAL_FEATURES": "naming_convention",
		})
		admin := map[string]string{"x-hasura-admin-secret": "secret"}
		anon := map[string]string{}

		cases := []struct {
			name, query string
			headers     map[string]string
			want        string
		}{
			{"admin query", `{ Album(where: {AlbumId: {_eq: 1}}) { Title Artist { Name } Tracks_aggregate { aggregate { count } } } }`, admin,
				`{"data":{"Album":[{"Title":"For Those About To Rock We Salute You","Artist":{"Name":"AC/DC"},"Tracks_aggregate":{"aggregate":{"count":10}}}]}}`},
			{"anonymous query", `{ Album(where: {AlbumId: {_lte: 2}}, order_by: {AlbumId: asc}) { AlbumId Title ArtistId } }`, anon,
				`{"data":{"Album":[{"AlbumId":1,"Title":"For Those About To Rock We Salute You","ArtistId":1},{"AlbumId":2,"Title":"Balls to the Wall","ArtistId":2}]}}`},
			// anonymous may read albums only: no relationship to Artist,
			// no other table, no aggregate.
			{"anonymous has no Artist", `{ Album(limit: 1) { Artist { Name } } }`, anon,
				`{"errors":[{"message":"field 'Artist' not found in type: 'Album'","extensions":{"path":"$.selectionSet.Album.selectionSet.Artist","code":"validation-failed"}}]}`},
			{"anonymous has no Track", `{ Track(limit: 1) { Name } }`, anon,
				`{"errors":[{"message":"field 'Track' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.Track","code":"validation-failed"}}]}`},
			{"anonymous has no aggregate", `{ Album_aggregate { aggregate { count } } }`, anon,
				`{"errors":[{"message":"field 'Album_aggregate' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.Album_aggregate","code":"validation-failed"}}]}`},
			{"admin aggregate", `{ Album_aggregate { aggregate { count max { AlbumId } } } }`, admin,
				`{"data":{"Album_aggregate":{"aggregate":{"count":347,"max":{"AlbumId":347}}}}}`},
			{"anonymous insert", `mutation { insert_Album(objects: [{Title: "hasgen", ArtistId: 1}]) { affected_rows returning { AlbumId Title } } }`, anon,
				`{"data":{"insert_Album":{"affected_rows":1,"returning":[{"AlbumId":348,"Title":"hasgen"}]}}}`},
			{"anonymous may not update", `mutation { update_Album(where: {}, _set: {Title: "x"}) { affected_rows } }`, anon,
				`{"errors":[{"message":"field 'update_Album' not found in type: 'mutation_root'","extensions":{"path":"$.selectionSet.update_Album","code":"validation-failed"}}]}`},
			{"admin sees the insert", `{ Album_aggregate { aggregate { count } } }`, admin,
				`{"data":{"Album_aggregate":{"aggregate":{"count":348}}}}`},
		}
		for _, c := range cases {
			if got := postGraphQL(t, srv.URL, c.headers, c.query); got != c.want {
				t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
			}
		}
		// A Hasura setting the server does not read is said at start.
		if logs := srv.Logs(); !strings.Contains(logs, `"msg":"environment variable not supported by hasgen: it has no effect","name":"HASURA_GRAPHQL_EXPERIMENTAL_FEATURES"`) {
			t.Errorf("no warning for HASURA_GRAPHQL_EXPERIMENTAL_FEATURES:\n%s", logs)
		}
		got := subscribeFirst(t, srv.URL, anon, `subscription { Album(where: {AlbumId: {_in: [1, 348]}}, order_by: {AlbumId: asc}) { AlbumId Title } }`)
		if want := `{"data":{"Album":[{"AlbumId":1,"Title":"For Those About To Rock We Salute You"},{"AlbumId":348,"Title":"hasgen"}]}}`; got != want {
			t.Errorf("subscription:\n got %s\nwant %s", got, want)
		}
	})

	t.Run("cli-v3-chinook", func(t *testing.T) {
		dir := filepath.Join(base, "cli-v3-chinook")
		meta := filepath.Join(dir, "metadata")
		url, _ := projectDB(t, dir, "migrations/pg/*/up.sql", meta)
		// database_url is the literal TO_BE_FILLED: the environment's
		// HASURA_GRAPHQL_DATABASE_URL wins over it. use_prepared_statements
		// is false: statements run on the unnamed statement.
		// Its action's request_transform sends to https://httpbin.org/post:
		// an HTTPS proxy of the test's answers in its place, with a
		// certificate of a test CA the server trusts (SSL_CERT_FILE).
		calls := make(chan httpbinCall, 4)
		proxy := newInterceptingProxy(t, fakeHTTPBin(calls))
		srv := e2e.StartT(t, e2e.Project{DatabaseURL: url, Config: meta, IgnoreUnsupported: true}, map[string]string{
			"HASURA_GRAPHQL_ADMIN_SECRET": "secret",
			"HTTPS_PROXY":                 proxy.URL, "NO_PROXY": "", "no_proxy": "",
			"SSL_CERT_FILE": proxy.CAFile,
		})
		admin := map[string]string{"x-hasura-admin-secret": "secret"}
		act := postGraphQL(t, srv.URL, admin, `mutation { actionName(arg1: {username: "ada", password: "pw"}) { accessToken } }`)
		if want := `{"data":{"actionName":{"accessToken":"ada:pw"}}}`; act != want {
			t.Errorf("actionName:\n got %s\nwant %s", act, want)
		}
		if c := proxy.connects(); len(c) != 1 || c[0] != "httpbin.org:443" {
			t.Errorf("CONNECT %q, want httpbin.org:443 once", c)
		}
		select {
		case c := <-calls:
			// The transform's URL, query_params and body; the action's
			// header.
			if c.URL != "https://httpbin.org/post?test=test" || c.Header.Get("test") != "test" {
				t.Errorf("httpbin got %s with headers %v", c.URL, c.Header)
			}
			if diff := cmp.Diff(map[string]any{"users": map[string]any{"test": "ada", "v": "pw"}}, c.Body); diff != "" {
				t.Errorf("transformed body (-want +got):\n%s", diff)
			}
		default:
			t.Error("httpbin was not called")
		}
		cases := []struct{ name, query, want string }{
			{"query", `{ albums_by_pk(id: 1) { title artist { name } tracks_aggregate { aggregate { count } } } }`,
				`{"data":{"albums_by_pk":{"title":"For Those About To Rock We Salute You","artist":{"name":"AC/DC"},"tracks_aggregate":{"aggregate":{"count":10}}}}}`},
			{"aggregate", `{ tracks_aggregate(where: {album_id: {_eq: 1}}) { aggregate { count max { milliseconds } } } }`,
				`{"data":{"tracks_aggregate":{"aggregate":{"count":10,"max":{"milliseconds":343719}}}}}`},
			{"mutation", `mutation { insert_albums_one(object: {title: "hasgen", artist_id: 1}) { id title } }`,
				`{"data":{"insert_albums_one":{"id":348,"title":"hasgen"}}}`},
			{"no role but admin", `{ albums(limit: 1) { id } }`, ``},
		}
		for _, c := range cases {
			h := admin
			if c.want == "" {
				h = map[string]string{}
				c.want = `{"errors":[{"message":"x-hasura-admin-secret/x-hasura-access-key required, but not found","extensions":{"path":"$","code":"access-denied"}}]}`
			}
			if got := postGraphQL(t, srv.URL, h, c.query); got != c.want {
				t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
			}
		}
		got := subscribeFirst(t, srv.URL, admin, `subscription { albums_aggregate(where: {title: {_eq: "hasgen"}}) { aggregate { count } } }`)
		if want := `{"data":{"albums_aggregate":{"aggregate":{"count":1}}}}`; got != want {
			t.Errorf("subscription:\n got %s\nwant %s", got, want)
		}
	})
}

// postGraphQL posts a query and returns the response body.
func postGraphQL(t *testing.T, base string, headers map[string]string, query string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, err := http.NewRequest("POST", base+"/v1/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	// Postgres's json_agg writes ", " between items: compare compacted.
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return buf.String()
}

// subscribeFirst subscribes over graphql-transport-ws and returns the
// payload of the first result.
func subscribeFirst(t *testing.T, base string, headers map[string]string, query string) string {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 10 * time.Second}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/v1/graphql", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	send := func(v any) {
		if err := c.WriteJSON(v); err != nil {
			t.Fatal(err)
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": headers}})
	for {
		var msg struct {
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := c.ReadJSON(&msg); err != nil {
			t.Fatalf("subscription: %v", err)
		}
		switch msg.Type {
		case "connection_ack":
			send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query}})
		case "next", "error":
			var buf bytes.Buffer
			if err := json.Compact(&buf, msg.Payload); err != nil {
				t.Fatal(err)
			}
			return buf.String()
		case "ka", "ping", "pong":
		default:
			t.Fatalf("subscription: unexpected %s %s", msg.Type, msg.Payload)
		}
	}
}

// TestSchemasFromMetadata: tables of a schema other than public are found
// because the metadata names their schema; no Schemas option is needed.
func TestSchemasFromMetadata(t *testing.T) {
	dir := t.TempDir()
	sql := filepath.Join(dir, "schema.sql")
	config := filepath.Join(dir, "hasgen.yaml")
	if err := os.WriteFile(sql, []byte("CREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id int PRIMARY KEY, total numeric);\nCREATE TABLE public.users (id int PRIMARY KEY);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, []byte("- table: {schema: billing, name: invoices}\n- table: users\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewDatabase(t, sql)
	p, err := generate.LoadProject(context.Background(), generate.Options{DatabaseURL: url, Config: config})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tb := range p.Tables {
		got = append(got, tb.Qualified())
	}
	if strings.Join(got, " ") != "billing.invoices public.users" {
		t.Errorf("tables %q", got)
	}
}
