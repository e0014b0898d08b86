// Package gqlclient runs the operations of an emitted project's typed
// client (its package client, generated from operations/*.graphql), the
// way genqlient's graphql.Client does: every generated function takes a
// Client and hands it one Request.
//
// Two Clients answer the same requests with the same data and the same
// errors:
//
//   - HTTP posts them to a server's /v1/graphql with the headers set on it
//     (admin secret, JWT, role, session variables);
//   - Local runs them in process on an engine (runtime.NewEngine) and a
//     database, as a given session, without an HTTP hop: for a worker, a
//     custom resolver or a serverless function. The engine applies the
//     role's permissions exactly as the server does.
//
// For example:
//
//	c := gqlclient.NewHTTP("http://localhost:8080/v1/graphql").WithRole("user").WithHeader("x-hasura-user-id", "1")
//	res, err := client.Channels(ctx, c, client.ChannelsVars{Limit: 10})
//
//	e, err := runtime.NewEngine(cfg, project, pool)
//	res, err := client.Channels(ctx, gqlclient.NewLocal(e).As("user", map[string]string{"x-hasura-user-id": "1"}), client.ChannelsVars{Limit: 10})
//
// A GraphQL error comes back as Errors, a list of *Error carrying Hasura's
// code and path: errors.As(err, &e) with e an *Error finds the first.
package gqlclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Request is one GraphQL request: what a generated function sends.
type Request struct {
	// Query is the operation's document: the operation and the fragments
	// it uses.
	Query string `json:"query"`
	// OperationName names the operation of Query to run.
	OperationName string `json:"operationName,omitempty"`
	// Variables are the operation's variables, a struct that encodes to
	// a JSON object; nil for none.
	Variables any `json:"variables,omitempty"`
}

// Client runs a request and decodes the "data" of its response into data,
// a pointer to the operation's result struct. It returns Errors when the
// response has GraphQL errors (data is then left as it was), and another
// error when the request could not be run or its response read.
// Implementations are safe for concurrent use.
type Client interface {
	Do(ctx context.Context, req *Request, data any) error
}

// Do runs req on c and returns its data decoded into a new R: the body of
// every generated client function.
func Do[R any](ctx context.Context, c Client, req *Request) (*R, error) {
	var res R
	if err := c.Do(ctx, req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Error is one GraphQL error of a response, in Hasura's shape:
// {"message", "extensions": {"path", "code"}}.
type Error struct {
	// Message is the error's message.
	Message string
	// Code is Hasura's error code: validation-failed, permission-error,
	// constraint-violation, access-denied, invalid-jwt...
	Code string
	// Path is where the error is, as Hasura writes it ("$",
	// "$.selectionSet.users.selectionSet.x").
	Path string
	// Err is the cause when the request ran in process (Local) and the
	// server would have answered an unexpected error without it: it may
	// name SQL, which a client over HTTP never sees. Nil otherwise.
	Err error
}

// Error returns the message with the code and the path.
func (e *Error) Error() string {
	return fmt.Sprintf("%s (%s at %s)", e.Message, e.Code, e.Path)
}

// Unwrap returns the in-process cause, or nil.
func (e *Error) Unwrap() error { return e.Err }

// MarshalJSON writes Hasura's shape (without Err).
func (e *Error) MarshalJSON() ([]byte, error) {
	type extensions struct {
		Path string `json:"path"`
		Code string `json:"code"`
	}
	return json.Marshal(struct {
		Message    string     `json:"message"`
		Extensions extensions `json:"extensions"`
	}{e.Message, extensions{e.Path, e.Code}})
}

// UnmarshalJSON reads Hasura's shape.
func (e *Error) UnmarshalJSON(b []byte) error {
	var w struct {
		Message    string `json:"message"`
		Extensions struct {
			Path string `json:"path"`
			Code string `json:"code"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Error{Message: w.Message, Code: w.Extensions.Code, Path: w.Extensions.Path}
	return nil
}

// Errors are the GraphQL errors of one response, never empty.
type Errors []*Error

// Error joins the errors' texts.
func (l Errors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the errors, for errors.As and errors.Is.
func (l Errors) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// decodeResponse reads a response body, {"data": ...} or {"errors": [...]},
// into data.
func decodeResponse(body []byte, data any) error {
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors Errors          `json:"errors"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("reading the response: %w", err)
	}
	if len(r.Errors) > 0 {
		return r.Errors
	}
	if len(r.Data) == 0 {
		return errors.New("reading the response: neither data nor errors")
	}
	if err := json.Unmarshal(r.Data, data); err != nil {
		return fmt.Errorf("reading the response's data: %w", err)
	}
	return nil
}
