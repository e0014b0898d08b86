package kriti_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hasgen/hasgen/runtime/kriti"
)

// FuzzParse checks that any source either parses or fails with a
// positioned *kriti.Error inside the source, never panics, and that what
// parses evaluates to valid JSON or a positioned error.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"a": {{ $body.event.data.new.id }}}`,
		`{{ if $body.x == 1 }} "a" {{ elif $body?.y }} [1, 2] {{ else }} null {{ end }}`,
		`{{ range i, x := $body.items }} {"i": {{i}}, "v": {{ x?.v ?? "d" }}} {{ end }}`,
		`"{{$base_url}}/x/{{ escapeUri $session_variables['x-hasura-user-id'] }}"`,
		`{{ concat([toPairs($body), [["k", size("abc")]]]) }}`,
		`{"a":{"b":{{ not (1 < 2 && "a" in ["a"]) }}}}`,
		`"\u00e9\t{{ $body['a b'][0] }}"`,
		`{{ fromPairs([["a", inverse(4)]]) }}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	body, err := kriti.DecodeJSON([]byte(`{"x": 1, "y": true, "items": [{"v": 1}, {}], "a b": [null], "event": {"data": {"new": {"id": 7}}}}`))
	if err != nil {
		f.Fatal(err)
	}
	vars := map[string]any{"$body": body, "$base_url": "http://h", "$session_variables": map[string]any{"x-hasura-user-id": "1"}}
	fns := kriti.SessionFunctions(map[string]string{"x-hasura-user-id": "1"})
	f.Fuzz(func(t *testing.T, src string) {
		for _, parse := range []func(string) (*kriti.Template, error){kriti.Parse, kriti.ParseInterpolated} {
			tmpl, err := parse(src)
			if err != nil {
				checkPos(t, src, err)
				continue
			}
			out, err := kriti.EvalJSON(tmpl, vars, fns)
			if err != nil {
				checkPos(t, tmpl.Source(), err)
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("%q evaluated to invalid JSON %s", src, out)
			}
		}
	})
}

// checkPos asserts err is a *kriti.Error whose position lies in src.
func checkPos(t *testing.T, src string, err error) {
	t.Helper()
	var ke *kriti.Error
	if !errors.As(err, &ke) {
		t.Fatalf("%q: error %v is not a *kriti.Error", src, err)
	}
	lines := strings.Split(src, "\n")
	if ke.Line < 1 || ke.Line > len(lines) {
		t.Fatalf("%q: line %d outside the source (%d lines): %v", src, ke.Line, len(lines), err)
	}
	if ke.Col < 1 || ke.Col > utf8.RuneCountInString(lines[ke.Line-1])+2 {
		t.Fatalf("%q: column %d outside line %d: %v", src, ke.Col, ke.Line, err)
	}
	if ke.Msg == "" {
		t.Fatalf("%q: empty message", src)
	}
}
