package actions

// Go handlers: an action answered by a Go function of the emitted project
// (its package actions, handlers.go) instead of its webhook. The function
// gets the request (session, client headers, and GraphQL run as the
// caller's role inside the request's transaction) and the action's input,
// and returns the output as the webhook would, or, for an action whose
// output type is a table's (Rows), the keys of the rows to return.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/hasgen/hasgen/runtime/wire"
)

// Handler is an action's Go handler on JSON: the action's input (its
// arguments) in, the output out. The emitted project's package actions
// makes one from a typed function with Typed.
type Handler func(ctx context.Context, req *Request, input json.RawMessage) (json.RawMessage, error)

// Typed adapts a typed handler: the input is decoded into In (the
// action's generated Args struct), the output encoded from Out as JSON.
func Typed[In, Out any](f func(ctx context.Context, req *Request, in In) (Out, error)) Handler {
	return func(ctx context.Context, req *Request, input json.RawMessage) (json.RawMessage, error) {
		var in In
		if len(input) > 0 {
			if err := json.Unmarshal(input, &in); err != nil {
				return nil, &wire.Error{Code: wire.CodeParseFailed, Path: "$", Message: "cannot decode the action's input: " + err.Error(), Err: err}
			}
		}
		out, err := f(ctx, req, in)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot encode the action's output", Err: err}
		}
		return b, nil
	}
}

// Runner runs a GraphQL request as the caller's role where the action
// runs (in a mutation, inside the request's transaction) and returns its
// data. The engine makes it.
type Runner func(ctx context.Context, query string, variables json.RawMessage) (json.RawMessage, error)

// Request is what a Go handler knows of the request it serves.
type Request struct {
	// Action is the action's name.
	Action string
	// Role is the caller's role.
	Role string
	// Session holds the session variables by lower-case name,
	// x-hasura-role included, as a webhook's session_variables.
	Session map[string]string
	// Headers are the client's request headers as received (nil when
	// unknown): Authorization and X-Hasura-Admin-Secret included, so do
	// not log them.
	Headers http.Header
	// Query is the client's GraphQL text (a webhook's request_query).
	Query string

	run Runner
}

// NewRequest returns the request of a call, whose GraphQL method runs on
// run.
func NewRequest(c Call, headers http.Header, run Runner) *Request {
	return &Request{Action: c.Name, Role: c.Session["x-hasura-role"], Session: c.Session, Headers: headers, Query: c.Query, run: run}
}

// GraphQL runs query (with variables, encoded as JSON; nil for none) as
// the caller's role, under its permissions, and decodes its data into
// out (nil to drop it). In a mutation action it runs inside the
// request's transaction: what it writes commits or rolls back with the
// request, and a handler that returns an error rolls it back. In a query
// action it may only run queries, on the server's pool (each statement
// sees the data committed when it starts). It may not call actions.
// Errors are the request's GraphQL errors (*wire.Error or wire.List),
// which a handler may return as they are.
func (r *Request) GraphQL(ctx context.Context, query string, variables, out any) error {
	if r.run == nil {
		return &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "this request cannot run GraphQL"}
	}
	var vars json.RawMessage
	if variables != nil {
		b, err := json.Marshal(variables)
		if err != nil {
			return fmt.Errorf("action %s: encode variables: %w", r.Action, err)
		}
		vars = b
	}
	data, err := r.run(ctx, query, vars)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("action %s: decode data: %w", r.Action, err)
	}
	return nil
}

// Error is an error a Go handler returns to answer the client with its
// own message and code, as a webhook's 4xx {message, extensions} does:
// with Extensions, the GraphQL error's extensions are those (Hasura's
// path and code replaced); else its code is Code ("unexpected" when
// empty).
type Error struct {
	Message    string
	Code       string
	Extensions map[string]any
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// HandlerError is the GraphQL error of what a Go handler returned: an
// *Error as a webhook's 4xx, a GraphQL error (from Request.GraphQL) as it
// is, and any other error its message with code unexpected.
func HandlerError(err error) error {
	var ae *Error
	if errors.As(err, &ae) {
		body, jerr := json.Marshal(struct {
			Message    string         `json:"message"`
			Code       string         `json:"code,omitempty"`
			Extensions map[string]any `json:"extensions,omitempty"`
		}{ae.Message, ae.Code, ae.Extensions})
		if jerr != nil {
			return &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: ae.Message, Err: jerr}
		}
		return webhookError(body)
	}
	var we *wire.Error
	var wl wire.List
	if errors.As(err, &we) || errors.As(err, &wl) {
		return err
	}
	return &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: err.Error(), Err: err}
}

// GoHandler returns the Go handler of the action name, or nil when the
// action is served by its webhook.
func (s *Service) GoHandler(name string) Handler {
	if s == nil {
		return nil
	}
	if a := s.actions[name]; a != nil {
		return a.goHandler
	}
	return nil
}

// Rows returns what the action name returns the rows of, or nil when its
// output is not a table's type.
func (s *Service) Rows(name string) *Rows {
	if s == nil {
		return nil
	}
	if a := s.actions[name]; a != nil {
		return a.Rows
	}
	return nil
}

// GoOnly is the handler of an action served only by Go (actions.yaml's
// handler: go).
const GoOnly = "go"

// Rows says which table an action's output type is the type of: its
// Go handler returns primary keys, and the rows are read with the
// table's select root field Root (in namespace Namespace) under the
// caller's select permission.
type Rows struct {
	Root      string `json:"root"`
	Namespace string `json:"namespace,omitempty"`
	// Key are the GraphQL fields of the primary key's columns, the
	// JSON keys of what the handler returns.
	Key []string `json:"key"`
	// List is set when the output is a list of rows; else one row or
	// null.
	List bool `json:"list,omitempty"`
}

// Relationship is how the rows are found from the handler's keys: a
// relationship from a key object to its row.
func (r *Rows) Relationship(action string) Relationship {
	rel := Relationship{Type: action, Name: action, Root: r.Root, Namespace: r.Namespace}
	for _, k := range r.Key {
		rel.Mapping = append(rel.Mapping, FieldColumn{Field: k, Column: k})
	}
	return rel
}

// doGo calls the Go handler h of a call made after its request (an
// asynchronous action's, by the worker): its GraphQL method refuses, as
// there is no request's transaction nor caller's request to run in; a
// panic is an internal error.
func doGo(ctx context.Context, h Handler, c Call) (out json.RawMessage, err error) {
	input, err := json.Marshal(c.Input)
	if err != nil {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot encode the action's input", Err: err}
	}
	req := NewRequest(c, ClientHeaders(ctx), func(context.Context, string, json.RawMessage) (json.RawMessage, error) {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "an asynchronous action's handler runs after its request: it cannot run GraphQL"}
	})
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "internal error", Err: fmt.Errorf("action %s: handler panicked: %v", c.Name, r)}
		}
	}()
	out, err = h(ctx, req, input)
	if err != nil {
		return nil, HandlerError(err)
	}
	return out, nil
}
