package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/wire"
)

// TestNewWithGoHandlers: a Go handler replaces the webhook (whose
// variables need not be set); an action whose handler is go needs one;
// a handler of no action is an error.
func TestNewWithGoHandlers(t *testing.T) {
	h := Handler(func(context.Context, *Request, json.RawMessage) (json.RawMessage, error) { return nil, nil })
	cfg := &Config{Actions: []Action{
		{Name: "hook", Handler: "{{UNSET}}/hook"},
		{Name: "only_go", Handler: GoOnly},
	}}
	cases := []struct {
		name     string
		handlers map[string]Handler
		err      string
	}{
		{"both in Go", map[string]Handler{"hook": h, "only_go": h}, ""},
		{"go only without its handler", map[string]Handler{"hook": h}, `action "only_go": its handler is "go" but no Go handler is set`},
		{"a webhook whose variable is unset", map[string]Handler{"only_go": h}, `action "hook": handler: environment variable "UNSET" is not set`},
		{"a handler of no action", map[string]Handler{"hook": h, "only_go": h, "gone": h}, "no action gone for the Go handler of that name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(cfg, Options{Getenv: func(string) string { return "" }, Handlers: c.handlers})
			if c.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if s.GoHandler("hook") == nil || s.GoHandler("only_go") == nil {
					t.Error("the Go handlers are not the actions'")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("got %v, want %s", err, c.err)
			}
		})
	}
}

// TestHandlerError: what a handler returns becomes Hasura's GraphQL
// error: an *Error as a webhook's 4xx answer, a GraphQL error as it is,
// another error its message with code unexpected.
func TestHandlerError(t *testing.T) {
	gql := &wire.Error{Code: wire.CodePermissionError, Path: "$.selectionSet.x", Message: "denied"}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"an Error with extensions", &Error{Message: "no stock", Extensions: map[string]any{"code": "no-stock", "left": 0}},
			`{"errors":[{"message":"no stock","extensions":{"code":"no-stock","left":0}}]}`},
		{"an Error with a code", &Error{Message: "no stock", Code: "no-stock"},
			`{"errors":[{"message":"no stock","extensions":{"path":"$","code":"no-stock"}}]}`},
		{"a wrapped Error", fmt.Errorf("buy: %w", &Error{Message: "no stock"}),
			`{"errors":[{"message":"no stock","extensions":{"path":"$","code":"unexpected"}}]}`},
		{"a GraphQL error", gql,
			`{"errors":[{"message":"denied","extensions":{"path":"$.selectionSet.x","code":"permission-error"}}]}`},
		{"another error", errors.New("disk full"),
			`{"errors":[{"message":"disk full","extensions":{"path":"$","code":"unexpected"}}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := string(wire.AppendErrors(nil, HandlerError(c.err))); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// TestTyped: the input decodes into the typed handler's argument struct
// and its result encodes as JSON; bad input is a parse error.
func TestTyped(t *testing.T) {
	type args struct {
		N    int     `json:"n"`
		Name *string `json:"name"`
	}
	h := Typed(func(_ context.Context, req *Request, in args) ([]int, error) {
		out := []int{in.N}
		if in.Name != nil {
			out = append(out, len(*in.Name))
		}
		return out, nil
	})
	cases := []struct{ in, want, err string }{
		{`{"n": 2, "name": "abc"}`, `[2,3]`, ""},
		{`{"n": 5}`, `[5]`, ""},
		{`{"n": "x"}`, "", "cannot decode the action's input"},
	}
	for _, c := range cases {
		out, err := h(context.Background(), &Request{}, json.RawMessage(c.in))
		if string(out) != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %s, %v; want %s, %s", c.in, out, err, c.want, c.err)
		}
	}
}

// TestDoCallsGoHandler: Do, which an asynchronous action's worker calls
// after the request, calls a Go handler instead of the webhook; its
// GraphQL method refuses, and a panic is an internal error.
func TestDoCallsGoHandler(t *testing.T) {
	h := Handler(func(ctx context.Context, req *Request, in json.RawMessage) (json.RawMessage, error) {
		switch string(in) {
		case `{"n":1}`:
			return json.RawMessage(`{"role":"` + req.Role + `"}`), nil
		case `{"n":2}`:
			return nil, req.GraphQL(ctx, "{ __typename }", nil, nil)
		}
		panic("boom")
	})
	s, err := New(&Config{Actions: []Action{{Name: "a", Handler: "http://127.0.0.1:1/never-called", Async: true}}}, Options{Handlers: map[string]Handler{"a": h}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ n, want string }{
		{"1", `{"role":"user"}`},
		{"2", `{"errors":[{"message":"an asynchronous action's handler runs after its request: it cannot run GraphQL","extensions":{"path":"$","code":"unexpected"}}]}`},
		{"3", `{"errors":[{"message":"internal error","extensions":{"path":"$","code":"unexpected"}}]}`},
	}
	for _, c := range cases {
		out, err := s.Do(context.Background(), Call{Name: "a", Input: map[string]any{"n": json.Number(c.n)}, Session: map[string]string{"x-hasura-role": "user"}})
		got := string(out)
		if err != nil {
			got = string(wire.AppendErrors(nil, err))
		}
		if got != c.want {
			t.Errorf("n=%s: got %s, want %s", c.n, got, c.want)
		}
	}
}
