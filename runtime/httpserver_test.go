package runtime_test

// The HTTP surface of runtime.NewServer's handler (issue 12): CORS as
// Hasura's middleware, GraphQL over HTTP (the graphql-response+json media
// type, GET), gzip, /v1/version and the /metrics secret. Each server here
// is the real handler, over a fresh database of the subscriptions
// fixture.

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime"
	"github.com/hasgen/hasgen/templates"
)

// fullServer serves runtime.NewServer's handler over the database at
// dbURL, configured from env (as the environment of a deployment).
func fullServer(t *testing.T, dbURL string, env map[string]string) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: dbURL, Config: filepath.Join(repoRoot(t), rtConfig)})
	if err != nil {
		t.Fatal(err)
	}
	ec, err := templates.EngineConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": dbURL, "HASURA_GRAPHQL_PG_CONNECTIONS": "4"}
	for k, v := range env {
		all[k] = v
	}
	cfg, err := runtime.ConfigFromEnv(nil, func(k string) string { return all[k] })
	if err != nil {
		t.Fatal(err)
	}
	// The schema files a generated server embeds, from the in-memory SDL.
	files := fstest.MapFS{}
	for role, sdl := range ec.SDL {
		name := "roles/" + role + ".graphqls"
		if role == "admin" {
			name = "full.graphqls"
		}
		files[name] = &fstest.MapFile{Data: sdl}
	}
	srv, err := runtime.NewServer(ctx, cfg, runtime.Project{Tables: ec.Tables, Schemas: files}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		hs.Close()
		srv.Close()
	})
	return hs
}

// do sends a request and returns the response with its body read
// (undecoded: the transport does not gunzip, as DisableCompression).
func do(t *testing.T, method, url, body string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestCORS(t *testing.T) {
	db := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
	const query = `{"query":"{ owners(order_by: {id: asc}, limit: 1) { name } }"}`
	type check struct {
		origin string
		method string // POST or OPTIONS
		allow  bool   // Access-Control-Allow-Origin echoes origin
	}
	servers := []struct {
		name   string
		env    map[string]string
		checks []check
	}{
		{"default allows all", nil, []check{
			{"https://app.example.com", "POST", true},
			{"http://localhost:3000", "OPTIONS", true},
		}},
		{"star", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "*"}, []check{
			{"https://anything.test", "OPTIONS", true},
		}},
		{"list", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "https://app.example.com, http://localhost:3000, https://*.foo.com, http://*.bar.com:8080"}, []check{
			{"https://app.example.com", "POST", true},
			{"https://app.example.com", "OPTIONS", true},
			{"http://localhost:3000", "POST", true},
			{"http://localhost:3001", "POST", false},     // another port
			{"http://app.example.com", "OPTIONS", false}, // another scheme
			{"https://evil.com", "POST", false},
			{"https://evil.com", "OPTIONS", false},
			{"https://a.foo.com", "OPTIONS", true},
			{"https://a.b.foo.com", "POST", false}, // one label only, as Hasura
			{"https://foo.com", "POST", false},
			{"http://a.foo.com", "POST", false},
			{"https://x.foo.com.evil.com", "POST", false},
			{"http://a.bar.com:8080", "POST", true},
			{"http://a.bar.com", "POST", false},
			{"http://a.bar.com:8081", "POST", false},
		}},
		{"disabled", map[string]string{"HASURA_GRAPHQL_DISABLE_CORS": "true"}, []check{
			{"https://app.example.com", "POST", false},
			{"https://app.example.com", "OPTIONS", false},
		}},
	}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			srv := fullServer(t, db, s.env)
			for _, c := range s.checks {
				h := map[string]string{"Origin": c.origin}
				body := query
				if c.method == "OPTIONS" {
					h["Access-Control-Request-Method"] = "POST"
					h["Access-Control-Request-Headers"] = "content-type,x-hasura-role"
					body = ""
				} else {
					h["Content-Type"] = "application/json"
				}
				resp, got := do(t, c.method, srv.URL+"/v1/graphql", body, h)
				acao := resp.Header.Get("Access-Control-Allow-Origin")
				if c.allow != (acao == c.origin) || (!c.allow && acao != "") {
					t.Errorf("%s from %s: Access-Control-Allow-Origin %q, want allowed=%v", c.method, c.origin, acao, c.allow)
				}
				switch {
				case c.method == "OPTIONS" && c.allow:
					if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Credentials") != "true" ||
						resp.Header.Get("Access-Control-Allow-Methods") != "GET,POST,PUT,PATCH,DELETE,OPTIONS" ||
						resp.Header.Get("Access-Control-Allow-Headers") != "content-type,x-hasura-role" ||
						resp.Header.Get("Access-Control-Max-Age") != "1728000" {
						t.Errorf("preflight from %s: %d %v", c.origin, resp.StatusCode, resp.Header)
					}
				case c.method == "OPTIONS":
					// Not answered by the CORS layer: the endpoint refuses OPTIONS.
					if resp.StatusCode != http.StatusMethodNotAllowed {
						t.Errorf("preflight from %s not allowed: status %d", c.origin, resp.StatusCode)
					}
				default:
					// The request is served either way; only the browser refuses
					// to hand a disallowed origin the response.
					if resp.StatusCode != 200 || got != `{"data":{"owners":[{"name":"ann"}]}}` {
						t.Errorf("POST from %s: %d %s", c.origin, resp.StatusCode, got)
					}
					if c.allow && resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
						t.Errorf("POST from %s: no credentials header", c.origin)
					}
				}
			}
		})
	}

	t.Run("websocket origin", func(t *testing.T) {
		srv := fullServer(t, db, map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "https://app.example.com, https://*.foo.com"})
		ws := "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/graphql"
		for _, c := range []struct {
			origin string
			ok     bool
		}{{"https://app.example.com", true}, {"https://a.foo.com", true}, {"", true}, {"https://evil.com", false}, {"https://a.b.foo.com", false}} {
			h := http.Header{}
			if c.origin != "" {
				h.Set("Origin", c.origin)
			}
			d := websocket.Dialer{Subprotocols: []string{protoNew}, HandshakeTimeout: rtTimeout}
			conn, resp, err := d.Dial(ws, h)
			if c.ok {
				if err != nil {
					t.Errorf("origin %q: %v", c.origin, err)
					continue
				}
				conn.Close()
				continue
			}
			if err == nil {
				conn.Close()
				t.Errorf("origin %q: upgraded, want refused", c.origin)
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "received origin header does not match configured CORS domains") {
				t.Errorf("origin %q: %d %s", c.origin, resp.StatusCode, b)
			}
		}
		// Disabled CORS leaves websockets to any origin (Hasura).
		srv = fullServer(t, db, map[string]string{"HASURA_GRAPHQL_DISABLE_CORS": "true"})
		h := http.Header{"Origin": {"https://evil.com"}}
		d := websocket.Dialer{Subprotocols: []string{protoNew}, HandshakeTimeout: rtTimeout}
		conn, _, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/v1/graphql", h)
		if err != nil {
			t.Fatalf("disabled CORS: %v", err)
		}
		conn.Close()
	})

	t.Run("bad domain is a configuration error", func(t *testing.T) {
		for _, d := range []string{"example.com", "ftp://x.com", "https://a.*.com", "https://x.com/path", "https://*.x.com:port"} {
			_, err := runtime.ConfigFromEnv(nil, func(k string) string {
				return map[string]string{"HASURA_GRAPHQL_DATABASE_URL": db, "HASURA_GRAPHQL_CORS_DOMAIN": d}[k]
			})
			if err == nil || !strings.Contains(err.Error(), "HASURA_GRAPHQL_CORS_DOMAIN") {
				t.Errorf("%q: %v", d, err)
			}
		}
	})
}

func TestGraphQLOverHTTP(t *testing.T) {
	db := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
	srv := fullServer(t, db, nil)
	const (
		gqlResp = "application/graphql-response+json"
		jsonCT  = "application/json; charset=utf-8"
		respCT  = "application/graphql-response+json; charset=utf-8"
	)
	get := func(params ...string) string {
		v := url.Values{}
		for i := 0; i < len(params); i += 2 {
			v.Set(params[i], params[i+1])
		}
		return "?" + v.Encode()
	}
	cases := []struct {
		name, method, accept, query, body string
		status                            int
		ctype                             string
		want                              string // body, or a part of it with prefix "~"
	}{
		{"json keeps 200 on validation errors", "POST", "application/json", "", `{"query":"{ nope }"}`, 200, jsonCT, "~validation-failed"},
		{"json keeps 200 on invalid JSON", "POST", "application/json", "", `{"query": `, 200, jsonCT, "~invalid-json"},
		{"no Accept is json", "POST", "", "", `{"query":"{ owners(where: {id: {_eq: 2}}) { name } }"}`, 200, jsonCT, `{"data":{"owners":[{"name":"bob"}]}}`},
		{"*/* is json", "POST", "*/*", "", `{"query":"{ nope }"}`, 200, jsonCT, "~validation-failed"},
		{"graphql-response ok", "POST", gqlResp, "", `{"query":"{ owners(where: {id: {_eq: 2}}) { name } }"}`, 200, respCT, `{"data":{"owners":[{"name":"bob"}]}}`},
		{"graphql-response preferred by q", "POST", "application/json;q=0.5, " + gqlResp, "", `{"query":"{ nope }"}`, 400, respCT, "~validation-failed"},
		{"json preferred by q", "POST", "application/json, " + gqlResp + ";q=0.1", "", `{"query":"{ nope }"}`, 200, jsonCT, "~validation-failed"},
		{"graphql-response invalid JSON is 400", "POST", gqlResp, "", `{ "not a JSON`, 400, respCT, "~invalid-json"},
		{"graphql-response parse error is 400", "POST", gqlResp, "", `{"query":"{"}`, 400, respCT, "~"},
		{"graphql-response validation error is 400", "POST", gqlResp, "", `{"query":"{ nope }"}`, 400, respCT, "~validation-failed"},
		{"graphql-response variable coercion is 400", "POST", gqlResp, "", `{"query":"query Q($id: ID!) { __typename }","variables":{"id":null}}`, 400, respCT, "~"},
		{"graphql-response missing query is 400", "POST", gqlResp, "", `{"notquery":"{ __typename }"}`, 400, respCT, "~"},
		{"graphql-response introspection typename", "POST", gqlResp, "", `{"query":"{ __typename }"}`, 200, respCT, `{"data":{"__typename":"query_root"}}`},
		{"GET query", "GET", "", get("query", "query Q($id: Int!) { owners(where: {id: {_eq: $id}}) { name } }", "variables", `{"id":3}`, "operationName", "Q", "extensions", `{"a":1}`), "", 200, jsonCT, `{"data":{"owners":[{"name":"cyd"}]}}`},
		{"GET query graphql-response", "GET", gqlResp, get("query", "{ owners(where: {id: {_eq: 1}}) { name } }"), "", 200, respCT, `{"data":{"owners":[{"name":"ann"}]}}`},
		{"GET mutation is 405", "GET", "", get("query", `mutation { insert_owners_one(object: {id: 9, name: "x"}) { id } }`), "", 405, jsonCT, "~cannot be sent with GET"},
		{"GET mutation is 405 graphql-response", "GET", gqlResp, get("query", `mutation { insert_owners_one(object: {id: 9, name: "x"}) { id } }`), "", 405, respCT, "~cannot be sent with GET"},
		{"GET bad variables", "GET", gqlResp, get("query", "{ __typename }", "variables", "[1]"), "", 400, respCT, "~invalid-json"},
		{"GET without query", "GET", gqlResp, "", "", 400, respCT, "~query"},
		{"DELETE is 405", "DELETE", "", "", "", 405, jsonCT, "~only GET and POST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			if c.accept != "" {
				h["Accept"] = c.accept
			}
			if c.method == "POST" {
				h["Content-Type"] = "application/json"
			}
			resp, body := do(t, c.method, srv.URL+"/v1/graphql"+c.query, c.body, h)
			if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != c.ctype {
				t.Errorf("status %d content-type %q, want %d %q; body %s", resp.StatusCode, resp.Header.Get("Content-Type"), c.status, c.ctype, body)
			}
			if part, ok := strings.CutPrefix(c.want, "~"); ok {
				if !strings.Contains(body, part) {
					t.Errorf("body %s, want it to contain %q", body, part)
				}
			} else if body != c.want {
				t.Errorf("body\n got %s\nwant %s", body, c.want)
			}
			if c.status >= 400 && strings.Contains(body, `"data"`) {
				t.Errorf("an error response carries data: %s", body)
			}
		})
	}
	// The GET mutation ran nothing.
	_, body := do(t, "POST", srv.URL+"/v1/graphql", `{"query":"{ owners_by_pk(id: 9) { id } }"}`, map[string]string{"Content-Type": "application/json"})
	if body != `{"data":{"owners_by_pk":null}}` {
		t.Fatalf("a GET mutation ran: %s", body)
	}
	// With an admin secret, a wrong one is 401 under the new media type,
	// 200 under application/json.
	sec := fullServer(t, db, map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": "s3"})
	for accept, want := range map[string]int{gqlResp: 401, "application/json": 200} {
		resp, body := do(t, "POST", sec.URL+"/v1/graphql", `{"query":"{ __typename }"}`, map[string]string{"Accept": accept, "X-Hasura-Admin-Secret": "no"})
		if resp.StatusCode != want || !strings.Contains(body, "access-denied") {
			t.Errorf("wrong secret, Accept %s: %d %s", accept, resp.StatusCode, body)
		}
	}
}

// HASGEN_STRICT_GRAPHQL_HTTP: the spec's 400 and 415 under application/json
// for requests that are not well-formed; the rest as Hasura.
func TestGraphQLOverHTTPStrict(t *testing.T) {
	db := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
	for _, strict := range []bool{false, true} {
		env := map[string]string{}
		if strict {
			env["HASGEN_STRICT_GRAPHQL_HTTP"] = "true"
		}
		srv := fullServer(t, db, env)
		for _, c := range []struct {
			name, ctype, body    string
			status, strictStatus int
		}{
			{"invalid JSON", "application/json", `{ "not a JSON`, 200, 400},
			{"query not a string", "application/json", `{"query": 7}`, 200, 400},
			{"no query", "application/json", `{"qeury": "{ __typename }"}`, 200, 400},
			{"variables not an object", "application/json", `{"query":"{ __typename }","variables":"x"}`, 200, 400},
			{"extensions not an object", "application/json", `{"query":"{ __typename }","extensions":[1]}`, 200, 400},
			{"operationName not a string", "application/json", `{"query":"{ __typename }","operationName":false}`, 200, 400},
			{"null parameters", "application/json", `{"query":"{ __typename }","variables":null,"extensions":null,"operationName":null}`, 200, 200},
			{"text/plain body", "text/plain;charset=UTF-8", `{"query":"{ __typename }"}`, 200, 415},
			{"validation error stays 200", "application/json", `{"query":"{ nope }"}`, 200, 200},
			{"ok", "application/json; charset=utf-8", `{"query":"{ __typename }"}`, 200, 200},
		} {
			want := c.status
			if strict {
				want = c.strictStatus
			}
			resp, body := do(t, "POST", srv.URL+"/v1/graphql", c.body, map[string]string{"Content-Type": c.ctype, "Accept": "application/json"})
			if resp.StatusCode != want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("strict=%v %s: %d %q, want %d; %s", strict, c.name, resp.StatusCode, resp.Header.Get("Content-Type"), want, body)
			}
		}
	}
}

func TestGzip(t *testing.T) {
	db := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
	srv := fullServer(t, db, nil)
	const q = `{"query":"{ owners(order_by: {id: asc}) { id name } }"}`
	const want = `{"data":{"owners":[{"id":1,"name":"ann"}, {"id":2,"name":"bob"}, {"id":3,"name":"cyd"}]}}`
	for _, c := range []struct {
		accept string
		gzip   bool
	}{{"gzip", true}, {"deflate, gzip", true}, {"br;q=1.0, gzip;q=0.8", true}, {"", false}, {"identity", false}, {"gzip;q=0", false}, {"deflate", false}} {
		h := map[string]string{"Content-Type": "application/json"}
		if c.accept != "" {
			h["Accept-Encoding"] = c.accept
		}
		for _, path := range []string{"/v1/graphql", "/v1alpha1/graphql"} {
			resp, body := do(t, "POST", srv.URL+path, q, h)
			enc := resp.Header.Get("Content-Encoding")
			if c.gzip != (enc == "gzip") {
				t.Errorf("%s Accept-Encoding %q: Content-Encoding %q", path, c.accept, enc)
				continue
			}
			if c.gzip {
				zr, err := gzip.NewReader(bytes.NewReader([]byte(body)))
				if err != nil {
					t.Fatalf("%s %q: %v", path, c.accept, err)
				}
				b, err := io.ReadAll(zr)
				if err != nil {
					t.Fatal(err)
				}
				body = string(b)
			}
			if body != want {
				t.Errorf("%s %q: body %q", path, c.accept, body)
			}
		}
	}
	// A GET is compressed too.
	resp, _ := do(t, "GET", srv.URL+"/v1/graphql?query="+url.QueryEscape("{ __typename }"), "", map[string]string{"Accept-Encoding": "gzip"})
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("GET not compressed: %v", resp.Header)
	}
}

func TestVersionAndMetricsSecret(t *testing.T) {
	db := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
	srv := fullServer(t, db, map[string]string{"HASURA_GRAPHQL_METRICS_SECRET": "m3trics"})
	resp, body := do(t, "GET", srv.URL+"/v1/version", "", nil)
	// A test binary's build of the module is a development build.
	if resp.StatusCode != 200 || body != `{"version":"dev"}` || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("/v1/version: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	for _, c := range []struct {
		auth   string
		status int
	}{{"", 401}, {"Bearer nope", 401}, {"m3trics", 401}, {"Bearer m3trics2", 401}, {"Bearer m3trics", 200}} {
		h := map[string]string{}
		if c.auth != "" {
			h["Authorization"] = c.auth
		}
		for _, path := range []string{"/metrics", "/v1/metrics"} {
			resp, body := do(t, "GET", srv.URL+path, "", h)
			if resp.StatusCode != c.status {
				t.Errorf("%s with %q: %d, want %d", path, c.auth, resp.StatusCode, c.status)
			}
			if hasMetrics := strings.Contains(body, "hasgen_"); hasMetrics != (c.status == 200) {
				t.Errorf("%s with %q: metrics served=%v: %.200s", path, c.auth, hasMetrics, body)
			}
		}
	}
	// Without the secret /metrics stays open.
	open := fullServer(t, db, nil)
	if resp, body := do(t, "GET", open.URL+"/metrics", "", nil); resp.StatusCode != 200 || !strings.Contains(body, "hasgen_") {
		t.Errorf("open /metrics: %d", resp.StatusCode)
	}
}

// The generated and built server reads the variables and serves the
// same: CORS from HASURA_GRAPHQL_CORS_DOMAIN (preflight, an origin
// refused), gzip, GET, /v1/version, the metrics secret.
func TestHTTPFeaturesGeneratedServer(t *testing.T) {
	db := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
	srv := e2e.StartT(t, e2e.Project{DatabaseURL: db, Config: filepath.Join(repoRoot(t), rtConfig)}, map[string]string{
		"HASURA_GRAPHQL_CORS_DOMAIN":    "https://app.example.com, https://*.foo.com",
		"HASURA_GRAPHQL_METRICS_SECRET": "m3",
	})
	resp, _ := do(t, "OPTIONS", srv.URL+"/v1/graphql", "", map[string]string{"Origin": "https://x.foo.com",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://x.foo.com" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = do(t, "POST", srv.URL+"/v1/graphql", `{"query":"{ __typename }"}`, map[string]string{"Origin": "https://evil.com", "Content-Type": "application/json"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("evil.com allowed: %v", resp.Header)
	}
	resp, body := do(t, "GET", srv.URL+"/v1/graphql?query="+url.QueryEscape("{ owners(where: {id: {_eq: 1}}) { name } }"), "",
		map[string]string{"Accept-Encoding": "gzip", "Accept": "application/graphql-response+json"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/graphql-response+json") {
		t.Fatalf("GET: %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != `{"data":{"owners":[{"name":"ann"}]}}` {
		t.Errorf("GET body %s", b)
	}
	resp, body = do(t, "GET", srv.URL+"/v1/version", "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(body, `{"version":"`) {
		t.Errorf("/v1/version: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", srv.URL+"/metrics", "", nil); resp.StatusCode != 401 {
		t.Errorf("/metrics without the secret: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", srv.URL+"/metrics", "", map[string]string{"Authorization": "Bearer m3"}); resp.StatusCode != 200 {
		t.Errorf("/metrics with the secret: %d", resp.StatusCode)
	}
	// Both variables are read: no "not supported" warning for them.
	if logs := srv.Logs(); strings.Contains(logs, "HASURA_GRAPHQL_CORS_DOMAIN") || strings.Contains(logs, "HASURA_GRAPHQL_METRICS_SECRET") {
		t.Errorf("a variable reported unread:\n%s", logs)
	}
}
