package actions

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestResolveTemplate: {{VAR}} in a handler is the variable's value; an
// unset variable is an error naming it.
func TestResolveTemplate(t *testing.T) {
	env := map[string]string{"BASE": "http://h:1", "P": "x"}
	getenv := func(k string) string { return env[k] }
	cases := []struct{ in, want, err string }{
		{"http://plain", "http://plain", ""},
		{"{{BASE}}/a", "http://h:1/a", ""},
		{"{{ BASE }}/{{P}}", "http://h:1/x", ""},
		{"{{NOPE}}/a", "", `environment variable "NOPE" is not set`},
		{"{{BASE", "", `unclosed {{ in "{{BASE"`},
	}
	for _, c := range cases {
		got, err := resolveTemplate(c.in, getenv)
		if got != c.want || (err == nil) != (c.err == "") || err != nil && err.Error() != c.err {
			t.Errorf("%q: %q, %v; want %q, %q", c.in, got, err, c.want, c.err)
		}
	}
}

// TestForwardHeaders: Hasura's ignored headers and x-hasura-* stay back;
// Host, User-Agent and Origin go as X-Forwarded-*.
func TestForwardHeaders(t *testing.T) {
	client := http.Header{
		"Host": {"api.example"}, "User-Agent": {"ua"}, "Origin": {"http://o"}, "Accept": {"*/*"},
		"Content-Type": {"text/plain"}, "Content-Length": {"3"}, "X-Hasura-Role": {"user"},
		"Authorization": {"Bearer t"}, "X-Custom": {"a", "b"},
	}
	got := http.Header{}
	forwardHeaders(got, client)
	want := http.Header{
		"Authorization": {"Bearer t"}, "X-Custom": {"a", "b"},
		"X-Forwarded-Host": {"api.example"}, "X-Forwarded-User-Agent": {"ua"}, "X-Forwarded-Origin": {"http://o"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestNewErrors: every unset variable of every action is reported.
func TestNewErrors(t *testing.T) {
	cfg := &Config{Actions: []Action{
		{Name: "a", Handler: "{{A}}", Headers: []Header{{Name: "x", ValueFromEnv: "X"}}},
		{Name: "b", Handler: "http://b", RequestTransform: []byte(`{"version": 2, "body": {"action": "transform", "template": "{{"}}`)},
	}}
	_, err := New(cfg, Options{Getenv: func(string) string { return "" }})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`action "a": handler: environment variable "A" is not set`, `action "a": header x: environment variable "X" is not set`, `action "b": `} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v lacks %q", err, want)
		}
	}
}
