package transform_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/transform"
)

func TestApplyResponse(t *testing.T) {
	request := &transform.Input{Method: "POST", URL: "http://h/hook?a=1", BaseURL: "http://h/hook?a=1",
		Body: []byte(`{"action":{"name":"greet"},"input":{"n":2}}`), SessionVariables: map[string]string{"X-Hasura-Role": "user"}}
	session := map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "7"}
	tests := []struct {
		name, spec, body string
		status           int
		request          *transform.Input
		want             string
	}{
		{"unwrap", `{"version": 2, "body": {"action": "transform", "template": "{{ $body.data }}"}}`,
			`{"data": {"text": "hi"}}`, 200, nil, `{"text":"hi"}`},
		{"version 1 string body", `{"body": "{\"s\": {{ $response.status }}}"}`, `{}`, 201, nil, `{"s":201}`},
		{"error shape", `{"version": 2, "body": {"action": "transform", "template": "{{ if $response.status == 200 }}{{ $body }}{{ else }}{\"message\": {{ $body.error.text }}, \"extensions\": {\"code\": {{ $body.error.code }}}}{{ end }}"}}`,
			`{"error": {"text": "no such user", "code": "not-found"}}`, 404, nil, `{"extensions":{"code":"not-found"},"message":"no such user"}`},
		{"not json", `{"version": 2, "body": {"action": "transform", "template": "{\"was\": {{ $body }}}"}}`,
			`<html>`, 502, nil, `{"was":null}`},
		{"session", `{"version": 2, "body": {"action": "transform", "template": "{\"u\": {{ $session_variables['x-hasura-user-id'] }}, \"g\": {{ getSessionVariable(\"X-Hasura-User-Id\") }}}"}}`,
			`{}`, 200, nil, `{"g":"7","u":"7"}`},
		{"no request transform", `{"version": 2, "body": {"action": "transform", "template": "{\"r\": {{ $request }}}"}}`,
			`{}`, 200, nil, `{"r":null}`},
		{"request", `{"version": 2, "body": {"action": "transform", "template": "{\"name\": {{ $request.body.action.name }}, \"n\": {{ $request.body.input.n }}, \"base\": {{ $request.base_url }}}"}}`,
			`{}`, 200, request, `{"base":"http://h/hook?a=1","n":2,"name":"greet"}`},
		{"remove", `{"version": 2, "body": {"action": "remove"}}`, `{"a": 1}`, 200, nil, `null`},
		{"form", `{"version": 2, "body": {"action": "x_www_form_urlencoded", "form_template": {"b": "{{ $body.b }}", "a": "x y"}}}`,
			`{"b": "&"}`, 200, nil, `"a=x%20y\u0026b=%26"`},
		{"no body", `{"version": 2}`, `{"a": 1}`, 200, nil, `{"a": 1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := transform.ParseResponse(json.RawMessage(tc.spec))
			if err != nil {
				t.Fatal(err)
			}
			got, err := spec.Apply(transform.ResponseInput{Body: []byte(tc.body), Status: tc.status, Request: tc.request, SessionVariables: session})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestParseResponseErrors(t *testing.T) {
	tests := []struct{ name, spec, want string }{
		{"version", `{"version": 3}`, "response_transform.version: expected 1 or 2, found 3"},
		{"engine", `{"version": 2, "template_engine": "Mustache"}`, `response_transform.template_engine: "Mustache" is not served`},
		{"request keys", `{"version": 2, "url": "http://x"}`, `response_transform: json: unknown field "url"`},
		{"body action", `{"version": 2, "body": {"action": "rewrite"}}`, `response_transform.body.action: "rewrite" is not one of`},
		{"v1 object body", `{"body": {"action": "remove"}}`, "response_transform.body: version 1 takes the body template as a string"},
		{"syntax", `{"version": 2, "body": {"action": "transform", "template": "{{ $body.x }"}}`, "response_transform.body.template:1:"},
		{"request variable", `{"version": 2, "body": {"action": "transform", "template": "{{ $base_url }}"}}`,
			"response_transform.body.template:1:4: variable $base_url is not defined (response transforms have $body, $request, $response, $session_variables)"},
		{"form variable", `{"version": 2, "body": {"action": "x_www_form_urlencoded", "form_template": {"f": "{{ $query_params }}"}}}`,
			`response_transform.body.form_template["f"]:1:4: variable $query_params is not defined`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := transform.ParseResponse(json.RawMessage(tc.spec))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant …%s…", err, tc.want)
			}
		})
	}
}

func TestApplyResponseErrors(t *testing.T) {
	spec, err := transform.ParseResponse(json.RawMessage(`{"version": 2, "body": {"action": "transform", "template": "{\"a\": {{ $body.data.x }}}"}}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = spec.Apply(transform.ResponseInput{Body: []byte(`{"data": {}}`), Status: 200})
	if want := `response_transform.body.template:1:21: key "x" not found`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant …%s…", err, want)
	}
}
