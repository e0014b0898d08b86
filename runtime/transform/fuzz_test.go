package transform_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/hasgen/hasgen/runtime/transform"
)

// FuzzApply parses arbitrary request_transform objects and applies what
// parses to arbitrary bodies: no panic, and a transformed body is JSON,
// a transformed URL is absolute.
func FuzzApply(f *testing.F) {
	f.Add(`{"version": 2, "body": {"action": "transform", "template": "{\"a\": {{ $body?.x ?? 1 }}}"}}`, eventPayload)
	f.Add(`{"version": 2, "method": "GET", "url": "{{$base_url}}/{{ escapeUri $body.event.op }}", "query_params": {"q": "{{ $body.id }}"}, "body": {"action": "remove"}}`, eventPayload)
	f.Add(`{"version": 2, "query_params": "a={{ size($query_params) }}", "request_headers": {"add_headers": {"X-Id": "{{ $body.id }}"}, "remove_headers": ["content-type"]}}`, eventPayload)
	f.Add(`{"version": 2, "body": {"action": "x_www_form_urlencoded", "form_template": {"k": "{{ $body.table.name }}"}}}`, eventPayload)
	f.Add(`{"body": "{{ range i, x := $body.items }} {{ x }} {{ end }}", "content_type": "application/json"}`, `{"items": [1, "a", null]}`)
	f.Add(`{"version": 2, "body": {"action": "transform", "template": "{{ if $body.a > 1 }} 1 {{ elif $body.a == 1 }} 2 {{ else }} 3 {{ end }}"}}`, `{"a": 1}`)
	f.Fuzz(func(t *testing.T, spec, body string) {
		s, err := transform.Parse(json.RawMessage(spec))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		out, err := s.Apply(transform.Input{Method: "POST", URL: "http://h/hook?x=1", BaseURL: "http://h/hook",
			Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body),
			SessionVariables: map[string]string{"x-hasura-role": "user"}})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if s.Body != nil && s.Body.Action == "transform" && !json.Valid(out.Body) {
			t.Fatalf("body %q is not JSON", out.Body)
		}
		if u, err := url.Parse(out.URL); err != nil || u.Scheme == "" {
			t.Fatalf("URL %q: %v", out.URL, err)
		}
	})
}
