package transform_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hasgen/hasgen/runtime/delivery"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/transform"
)

// received is what the test's webhook saw.
type received struct {
	method, uri string
	header      http.Header
	body        []byte
}

// webhook starts a real HTTP server that records one request.
func webhook(t *testing.T) (*httptest.Server, chan received) {
	t.Helper()
	got := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{method: r.Method, uri: r.RequestURI, header: r.Header.Clone(), body: b}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// TestEventTriggerHook sends a transformed event to a real webhook: the
// form the event workers use (events.Options.Transform, delivery.Send).
func TestEventTriggerHook(t *testing.T) {
	srv, got := webhook(t)
	trig := &events.Trigger{Name: "Album_insert", Webhook: srv.URL + "/hook", RequestTransform: json.RawMessage(`{
		"version": 2, "method": "PUT", "url": "{{$base_url}}/albums/{{ $body.event.data.new.AlbumId }}",
		"query_params": {"by": "{{ $session_variables['x-hasura-role'] }}"},
		"request_headers": {"add_headers": {"X-Op": "{{ $body.event.op }}"}},
		"body": {"action": "transform", "template": "{\"title\": {{ $body.event.data.new.Title }}, \"role\": {{ getSessionVariable(\"X-Hasura-Role\") }}}"}}`)}
	hook := transform.ForEventTriggers()
	req := delivery.Request{URL: trig.Webhook, Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(eventPayload)}
	if err := hook(trig, &req, req.Body); err != nil {
		t.Fatal(err)
	}
	res := delivery.Send(context.Background(), srv.Client(), req)
	if !res.OK() {
		t.Fatalf("delivery: %d %v", res.Status, res.Err)
	}
	r := <-got
	if r.method != "PUT" || r.uri != "/hook/albums/348?by=admin" {
		t.Errorf("got %s %s", r.method, r.uri)
	}
	if r.header.Get("X-Op") != "INSERT" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.header)
	}
	if string(r.body) != `{"role":"admin","title":"random album"}` {
		t.Errorf("body %s", r.body)
	}

	// A changed request_transform is parsed again; a bad one fails by name.
	trig.RequestTransform = json.RawMessage(`{"version": 2, "body": {"action": "transform", "template": "{{ $nope }}"}}`)
	req = delivery.Request{URL: trig.Webhook, Body: []byte(eventPayload)}
	err := hook(trig, &req, req.Body)
	if err == nil || err.Error() != `event trigger "Album_insert": request_transform.body.template:1:4: variable $nope is not defined (request transforms have $base_url, $body, $query_params, $session_variables)` {
		t.Errorf("got %v", err)
	}
}

// TestCronTriggerHook sends a transformed scheduled event to a real
// webhook: GET, no body, no content-type.
func TestCronTriggerHook(t *testing.T) {
	srv, got := webhook(t)
	tr, err := transform.ForCronTriggers(json.RawMessage(`{"version": 2, "method": "GET", "query_params": {}, "body": {"action": "remove"},
		"request_headers": {"add_headers": {}, "remove_headers": ["content-type"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	req := delivery.Request{URL: srv.URL + "/v1/version?drop=me", Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"payload": {}}`)}
	if err := tr(&req); err != nil {
		t.Fatal(err)
	}
	res := delivery.Send(context.Background(), srv.Client(), req)
	if !res.OK() {
		t.Fatalf("delivery: %d %v", res.Status, res.Err)
	}
	r := <-got
	if r.method != "GET" || r.uri != "/v1/version" || len(r.body) != 0 || r.header.Get("Content-Type") != "" {
		t.Errorf("got %s %s %v %q", r.method, r.uri, r.header, r.body)
	}
	if _, err := transform.ForCronTriggers(json.RawMessage(`{"version": 9}`)); err == nil {
		t.Error("a bad transform must fail")
	}
}
