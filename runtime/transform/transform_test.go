package transform_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/hasgen/hasgen/runtime/delivery"
	"github.com/hasgen/hasgen/runtime/kriti"
	"github.com/hasgen/hasgen/runtime/transform"
)

// eventPayload is what Hasura posts for an insert into Album.
const eventPayload = `{
  "event": {
    "session_variables": {"x-hasura-role": "admin"},
    "op": "INSERT",
    "data": {"old": null, "new": {"AlbumId": 348, "Title": "random album", "ArtistId": 1}},
    "trace_context": {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"}
  },
  "created_at": "2026-12-05T12:00:00.123456Z",
  "id": "85558393-c75d-4d2f-9c15-e80591b83894",
  "delivery_info": {"max_retries": 1, "current_retry": 0},
  "trigger": {"name": "Album_insert"},
  "table": {"schema": "public", "name": "Album"}
}`

// projectFile reads a metadata file of ../shared/hasura-projects as JSON.
func projectFile(t *testing.T, rel string) any {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	b, err := os.ReadFile(filepath.Join(dir, "..", "shared", "hasura-projects", rel))
	if err != nil {
		t.Fatalf("the Hasura projects are read from ../shared beside the checkout: %v", err)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	var v any
	if err := json.Unmarshal(j, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// find returns the element of list whose "name" is name.
func find(t *testing.T, list any, name string) map[string]any {
	t.Helper()
	for _, e := range list.([]any) {
		if m := e.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("no %q", name)
	return nil
}

func rawOf(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonEqual compares JSON texts by value.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("body\n got  %s\n want %s", gb, wb)
	}
}

func jsonHeaders() http.Header {
	return http.Header{"Content-Type": {"application/json"}, "User-Agent": {"hasura-graphql-engine/v2"}}
}

// TestChinookEventTrigger applies observability-chinook's Album_insert
// transform, unchanged from its metadata, to an insert event.
func TestChinookEventTrigger(t *testing.T) {
	table := projectFile(t, "observability-chinook/metadata/databases/default/tables/public_Album.yaml").(map[string]any)
	trig := find(t, table["event_triggers"], "Album_insert")
	spec, err := transform.Parse(rawOf(t, trig["request_transform"]))
	if err != nil {
		t.Fatal(err)
	}
	webhook := trig["webhook"].(string)
	out, err := spec.Apply(transform.Input{Method: "POST", URL: webhook, BaseURL: webhook, Headers: jsonHeaders(), Body: []byte(eventPayload),
		SessionVariables: map[string]string{"x-hasura-role": "admin"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Method != "POST" || out.URL != "http://localhost:8080/v1/graphql" {
		t.Errorf("method, URL: %s %s", out.Method, out.URL)
	}
	if out.Headers.Get("Content-Type") != "application/json" || out.Headers.Get("User-Agent") != "hasura-graphql-engine/v2" {
		t.Errorf("headers changed: %v", out.Headers)
	}
	var body map[string]any
	if err := json.Unmarshal(out.Body, &body); err != nil {
		t.Fatalf("body %s: %v", out.Body, err)
	}
	if len(body) != 3 {
		t.Errorf("body has %d fields: %s", len(body), out.Body)
	}
	if body["query"] != "query GetAlbums @cached(ttl: 65) {Album(limit: 10, order_by: {AlbumId: desc}) {  Title  AlbumId ArtistId  }}" {
		t.Errorf("query: %q", body["query"])
	}
	if v, ok := body["variables"]; !ok || v != nil {
		t.Errorf("variables: %v (present %v)", v, ok)
	}
	if body["operationName"] != "GetAlbums" {
		t.Errorf("operationName: %v", body["operationName"])
	}
}

// TestChinookCronTriggers applies observability-chinook's two cron
// transforms: a body template, and GET without content-type.
func TestChinookCronTriggers(t *testing.T) {
	crons := projectFile(t, "observability-chinook/metadata/cron_triggers.yaml")

	insert := find(t, crons, "album_insert")
	spec, err := transform.Parse(rawOf(t, insert["request_transform"]))
	if err != nil {
		t.Fatal(err)
	}
	payload := `{"scheduled_time": "2026-12-05T12:01:00Z", "payload": ` + string(rawOf(t, insert["payload"])) +
		`, "name": "album_insert", "id": "a1b7f4a2-3d43-4f43-9d62-4fd2b1f1c2d3", "comment": ""}`
	req := &delivery.Request{Method: "POST", URL: insert["webhook"].(string), Headers: jsonHeaders(), Body: []byte(payload)}
	if err := spec.ApplyRequest(req, nil); err != nil {
		t.Fatal(err)
	}
	if req.Method != "POST" || req.URL != "http://localhost:8080/v1/graphql" || req.Headers.Get("Content-Type") != "application/json" {
		t.Errorf("request: %s %s %v", req.Method, req.URL, req.Headers)
	}
	jsonEqual(t, req.Body, `{"operationName": "CreateAlbum", "query": "mutation CreateAlbum { insert_Album(objects: [{ Title: \"random album\", ArtistId: 1}]) {affected_rows}}", "variables": null}`)

	success := find(t, crons, "cron_success")
	spec, err = transform.Parse(rawOf(t, success["request_transform"]))
	if err != nil {
		t.Fatal(err)
	}
	req = &delivery.Request{URL: success["webhook"].(string), Headers: jsonHeaders(), Body: []byte(`{"payload": {}}`)}
	if err := spec.ApplyRequest(req, nil); err != nil {
		t.Fatal(err)
	}
	if req.Method != "GET" {
		t.Errorf("method %q, want GET", req.Method)
	}
	if req.URL != "http://localhost:8080/v1/version" {
		t.Errorf("URL %q", req.URL)
	}
	if _, ok := req.Headers["Content-Type"]; ok {
		t.Errorf("content-type kept: %v", req.Headers)
	}
	if req.Headers.Get("User-Agent") != "hasura-graphql-engine/v2" {
		t.Errorf("other headers lost: %v", req.Headers)
	}
	if string(req.Body) != `{"payload": {}}` {
		t.Errorf("body changed: %s", req.Body)
	}
}

// TestChinookAction applies cli-v3-chinook's action transform: version 1
// (no version key, body as a string, content_type), query_params.
func TestChinookAction(t *testing.T) {
	actions := projectFile(t, "cli-v3-chinook/metadata/actions.yaml").(map[string]any)
	def := find(t, actions["actions"], "actionName")["definition"].(map[string]any)
	spec, err := transform.Parse(rawOf(t, def["request_transform"]))
	if err != nil {
		t.Fatal(err)
	}
	if spec.Version != 1 || spec.Body == nil || spec.Body.Action != "transform" {
		t.Fatalf("spec read as %+v", spec)
	}
	handler := def["handler"].(string)
	body := `{"action": {"name": "actionName"}, "input": {"arg1": {"username": "ada", "password": "s3cr\"et"}},
	  "session_variables": {"x-hasura-role": "user"}, "request_query": "mutation { actionName(arg1: {username: \"ada\"}) { id } }"}`
	out, err := spec.Apply(transform.Input{Method: "POST", URL: handler, BaseURL: handler, Headers: jsonHeaders(), Body: []byte(body),
		SessionVariables: map[string]string{"x-hasura-role": "user"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Method != "POST" {
		t.Errorf("method %q", out.Method)
	}
	if out.URL != "https://httpbin.org/post?test=test" {
		t.Errorf("URL %q", out.URL)
	}
	jsonEqual(t, out.Body, `{"users": {"test": "ada", "v": "s3cr\"et"}}`)
}

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		in      transform.Input
		method  string
		url     string
		headers http.Header // nil: not checked
		body    string      // "-": removed
	}{
		{
			name: "url, method, query params, headers from templates",
			spec: `{"version": 2, "method": "PUT", "url": "{{$base_url}}/users/{{ escapeUri $body.event.data.new.name }}",
				"query_params": {"id": "{{ $body.event.data.new.id }}", "flag": null, "role": "{{ getSessionVariable(\"X-Hasura-Role\") }}", "gone": "{{ $body?.nope }}"},
				"request_headers": {"add_headers": {"Authorization": "Bearer {{ $session_variables['x-hasura-user-id'] }}"}, "remove_headers": ["X-Secret"]}}`,
			in: transform.Input{Method: "POST", URL: "http://h/hook?old=1", BaseURL: "http://h/hook",
				Headers:          http.Header{"X-Secret": {"s"}, "Content-Type": {"application/json"}},
				Body:             []byte(`{"event": {"data": {"new": {"id": 7, "name": "a b/c"}}}}`),
				SessionVariables: map[string]string{"X-Hasura-Role": "user", "x-hasura-user-id": "42"}},
			method:  "PUT",
			url:     "http://h/hook/users/a%20b%2Fc?flag&id=7&role=user",
			headers: http.Header{"Authorization": {"Bearer 42"}, "Content-Type": {"application/json"}},
			body:    `{"event": {"data": {"new": {"id": 7, "name": "a b/c"}}}}`,
		},
		{
			name:   "query params as one template",
			spec:   `{"version": 2, "query_params": "{{ concat([\"a=1&b=\", $body.q]) }}"}`,
			in:     transform.Input{Method: "POST", URL: "http://h/x?z=9", Body: []byte(`{"q": "x y"}`)},
			method: "POST", url: "http://h/x?a=1&b=x+y",
			body: `{"q": "x y"}`,
		},
		{
			name:   "query_params sees the request's query",
			spec:   `{"version": 2, "body": {"action": "transform", "template": "{{ $query_params }}"}}`,
			in:     transform.Input{Method: "POST", URL: "http://h/x?a=1&b&c=x%20y"},
			method: "POST", url: "http://h/x?a=1&b&c=x%20y",
			body: `[["a","1"],["b",null],["c","x y"]]`,
		},
		{
			name: "form body",
			spec: `{"version": 2, "body": {"action": "x_www_form_urlencoded", "form_template": {"name": "{{ $body.name }}", "note": "a&b={{ $body.n }}"}},
				"request_headers": {"remove_headers": ["content-type"], "add_headers": {"content-type": "application/x-www-form-urlencoded"}}}`,
			in:     transform.Input{Method: "POST", URL: "http://h/x", Headers: jsonHeaders(), Body: []byte(`{"name": "Ada Lovelace", "n": 1.5}`)},
			method: "POST", url: "http://h/x",
			headers: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "User-Agent": {"hasura-graphql-engine/v2"}},
			body:    `name=Ada%20Lovelace&note=a%26b%3D1.5`,
		},
		{
			name:   "remove body, method in lower case",
			spec:   `{"version": 2, "method": "get", "body": {"action": "remove"}}`,
			in:     transform.Input{Method: "POST", URL: "http://h/x", Body: []byte(`{"a": 1}`)},
			method: "GET", url: "http://h/x", body: "-",
		},
		{
			name:   "non-JSON body reads as null",
			spec:   `{"version": 2, "body": {"action": "transform", "template": "{\"was\": {{ $body }}}"}}`,
			in:     transform.Input{Method: "POST", URL: "http://h/x", Body: []byte(`not json`)},
			method: "POST", url: "http://h/x", body: `{"was": null}`,
		},
		{
			name:   "no session: $session_variables is null",
			spec:   `{"version": 2, "body": {"action": "transform", "template": "{{ $session_variables }}"}}`,
			in:     transform.Input{Method: "POST", URL: "http://h/x"},
			method: "POST", url: "http://h/x", body: `null`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := transform.Parse(json.RawMessage(tc.spec))
			if err != nil {
				t.Fatal(err)
			}
			out, err := spec.Apply(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Method != tc.method || out.URL != tc.url {
				t.Errorf("got %s %s, want %s %s", out.Method, out.URL, tc.method, tc.url)
			}
			if tc.headers != nil {
				for k := range out.Headers {
					if _, ok := tc.headers[k]; !ok {
						t.Errorf("unexpected header %s: %v", k, out.Headers[k])
					}
				}
				for k, v := range tc.headers {
					if strings.Join(out.Headers[k], ",") != strings.Join(v, ",") {
						t.Errorf("header %s: got %v, want %v", k, out.Headers[k], v)
					}
				}
			}
			switch {
			case tc.body == "-":
				if out.Body != nil {
					t.Errorf("body %q, want none", out.Body)
				}
			case strings.HasPrefix(tc.body, "{") || strings.HasPrefix(tc.body, "[") || tc.body == "null":
				jsonEqual(t, out.Body, tc.body)
			default:
				if string(out.Body) != tc.body {
					t.Errorf("body %q, want %q", out.Body, tc.body)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, spec, want string }{
		{"version", `{"version": 3}`, "request_transform.version: expected 1 or 2, found 3"},
		{"engine", `{"version": 2, "template_engine": "Mustache"}`, `request_transform.template_engine: "Mustache" is not served`},
		{"unknown field", `{"version": 2, "bodyy": {}}`, `request_transform: json: unknown field "bodyy"`},
		{"body action", `{"version": 2, "body": {"action": "rewrite"}}`, `request_transform.body.action: "rewrite" is not one of`},
		{"body template missing", `{"version": 2, "body": {"action": "transform"}}`, "request_transform.body.template: required"},
		{"form template missing", `{"version": 2, "body": {"action": "x_www_form_urlencoded"}}`, "request_transform.body.form_template: required"},
		{"v1 object body", `{"body": {"action": "remove"}}`, "request_transform.body: version 1 takes the body template as a string"},
		{"v2 string body", `{"version": 2, "body": "{}"}`, "request_transform.body: version 2 takes an object"},
		{"content type", `{"content_type": "application/x-www-form-urlencoded", "body": "{}"}`, `request_transform.content_type: "application/x-www-form-urlencoded" is not served`},
		{"method", `{"version": 2, "method": "GE T"}`, `request_transform.method: "GE T" is not an HTTP method`},
		{"header name", `{"version": 2, "request_headers": {"add_headers": {"bad header": "x"}}}`, `request_transform.request_headers.add_headers["bad header"]: "bad header" is not a header name`},
		{"query params type", `{"version": 2, "query_params": [1]}`, "request_transform.query_params: expected an object of templates or one template string"},
		{"body template syntax", `{"version": 2, "body": {"action": "transform", "template": "{\n  \"a\": {{ $body.x }\n}"}}`, "request_transform.body.template:2:19: expected }} to close {{"},
		{"body template variable", `{"version": 2, "body": {"action": "transform", "template": "{\"a\": {{ $request.x }}}"}}`, "request_transform.body.template:1:10: variable $request is not defined (request transforms have $base_url, $body, $query_params, $session_variables)"},
		{"body template function", `{"version": 2, "body": {"action": "transform", "template": "{{ upper($body) }}"}}`, `request_transform.body.template:1:4: unknown function "upper"`},
		{"url template", `{"version": 2, "url": "{{$base_url}/x"}`, "request_transform.url:1:12: expected }} to close {{"},
		{"header template", `{"version": 2, "request_headers": {"add_headers": {"X-A": "{{ $nope }}"}}}`, `request_transform.request_headers.add_headers["X-A"]:1:4: variable $nope is not defined`},
		{"query template", `{"version": 2, "query_params": {"a": "{{ if }}"}}`, `request_transform.query_params["a"]:1:4: unexpected keyword "if"`},
		{"form template", `{"version": 2, "body": {"action": "x_www_form_urlencoded", "form_template": {"f": "{{ 1 +"}}}`, `request_transform.body.form_template["f"]:1:6: unexpected character '+'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := transform.Parse(json.RawMessage(tc.spec))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant …%s…", err, tc.want)
			}
		})
	}
	// Template errors keep their position for tools.
	_, err := transform.Parse(json.RawMessage(`{"version": 2, "url": "{{ $x }}"}`))
	var te *transform.TemplateError
	var ke *kriti.Error
	if !errors.As(err, &te) || te.Key != "request_transform.url" || !errors.As(err, &ke) || ke.Line != 1 || ke.Col != 4 {
		t.Errorf("got %#v", err)
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct{ name, spec, body, want string }{
		{"missing key", `{"version": 2, "body": {"action": "transform", "template": "{\"a\": {{ $body.x }}}"}}`, `{}`, `request_transform.body.template:1:16: key "x" not found`},
		{"bad url", `{"version": 2, "url": "{{ $body.u }}"}`, `{"u": "not a url"}`, `request_transform.url: invalid URL "not a url"`},
		{"header eval", `{"version": 2, "request_headers": {"add_headers": {"X-A": "{{ $body.h[3] }}"}}}`, `{"h": []}`, `request_transform.request_headers.add_headers["X-A"]:1:11: index 3 out of range`},
		{"session variable", `{"version": 2, "url": "http://h/{{ getSessionVariable(\"x-hasura-user-id\") }}"}`, `{}`, `request_transform.url:1:32: getSessionVariable: session variable "x-hasura-user-id" not found`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := transform.Parse(json.RawMessage(tc.spec))
			if err != nil {
				t.Fatal(err)
			}
			_, err = spec.Apply(transform.Input{Method: "POST", URL: "http://h/x", Body: []byte(tc.body)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant …%s…", err, tc.want)
			}
		})
	}
}

// TestApplyConcurrent applies one Spec from several goroutines, errors
// included (run with -race).
func TestApplyConcurrent(t *testing.T) {
	spec, err := transform.Parse(json.RawMessage(`{"version": 2, "url": "{{$base_url}}/{{ $body.id }}", "body": {"action": "transform", "template": "{\"id\": {{ $body.id }}}"}}`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for i := 0; i < 50; i++ {
				body := `{"id": ` + strconv.Itoa(g*100+i) + `}`
				if i%5 == 0 {
					body = `{}` // a missing key: an error with its position
				}
				out, err := spec.Apply(transform.Input{Method: "POST", URL: "http://h/x", Body: []byte(body)})
				switch {
				case i%5 == 0 && err == nil:
					done <- errors.New("want an error for a missing key")
					return
				case i%5 != 0 && (err != nil || string(out.Body) != body[:1]+`"id":`+body[7:]):
					done <- fmt.Errorf("body %s: got %s, %v", body, out.Body, err)
					return
				}
			}
			done <- nil
		}(g)
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestApplyUnparsedSpec applies a Spec built in Go rather than by Parse:
// its templates are parsed on the call, and a bad one fails by key.
func TestApplyUnparsedSpec(t *testing.T) {
	spec := &transform.Spec{Version: 2, Method: "GET", URL: "{{$base_url}}/v2", Body: &transform.Body{Action: "remove"},
		RequestHeaders: &transform.Headers{RemoveHeaders: []string{"content-type"}}}
	out, err := spec.Apply(transform.Input{Method: "POST", URL: "http://h/x", Headers: jsonHeaders(), Body: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Method != "GET" || out.URL != "http://h/x/v2" || out.Body != nil || out.Headers.Get("Content-Type") != "" {
		t.Errorf("got %+v", out)
	}
	bad := &transform.Spec{Version: 2, Body: &transform.Body{Action: "transform", Template: "{{ $x"}}
	if _, err := bad.Apply(transform.Input{URL: "http://h/x"}); err == nil || !strings.HasPrefix(err.Error(), "request_transform.body.template:1:6:") {
		t.Errorf("got %v", err)
	}
}
