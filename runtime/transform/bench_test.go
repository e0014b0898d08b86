package transform_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/hasgen/hasgen/runtime/kriti"
	"github.com/hasgen/hasgen/runtime/transform"
)

// BenchmarkApply measures one transform of an event payload: URL,
// query parameters, a header and a body template with a path, an
// optional chain, a function and a range.
func BenchmarkApply(b *testing.B) {
	spec, err := transform.Parse(json.RawMessage(`{"version": 2, "method": "PUT",
		"url": "{{$base_url}}/albums/{{ $body.event.data.new.AlbumId }}",
		"query_params": {"op": "{{ $body.event.op }}"},
		"request_headers": {"add_headers": {"X-Trigger": "{{ $body.trigger.name }}"}},
		"body": {"action": "transform", "template": "{\"id\": {{ $body.event.data.new.AlbumId }}, \"title\": {{ toUpper($body.event.data.new.Title) }}, \"old\": {{ $body.event.data?.old.Title ?? null }}, \"tags\": {{ range i, x := [1, 2, 3] }} {{ x }} {{ end }}, \"table\": \"{{ $body.table.schema }}.{{ $body.table.name }}\"}"}}`))
	if err != nil {
		b.Fatal(err)
	}
	in := transform.Input{Method: "POST", URL: "http://localhost:8080/hook", BaseURL: "http://localhost:8080/hook",
		Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(eventPayload)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := spec.Apply(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEval measures the body template alone, on a decoded payload.
func BenchmarkEval(b *testing.B) {
	t, err := kriti.Parse(`{"id": {{ $body.event.data.new.AlbumId }}, "title": {{ toUpper($body.event.data.new.Title) }}, "old": {{ $body.event.data?.old.Title ?? null }}}`)
	if err != nil {
		b.Fatal(err)
	}
	body, err := kriti.DecodeJSON([]byte(eventPayload))
	if err != nil {
		b.Fatal(err)
	}
	vars := map[string]any{"$body": body}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kriti.EvalJSON(t, vars, nil); err != nil {
			b.Fatal(err)
		}
	}
}
