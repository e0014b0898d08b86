// Package remote calls remote schemas: GraphQL servers whose root fields
// a hasgen server serves beside its own (Hasura's remote_schemas.yaml).
// A Client sends one GraphQL request over HTTP with Hasura's headers and
// timeout; package engine builds the request from the client's operation
// (engine/remote.go) and splices the remote's data into the response.
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// CodeRemoteSchemaError is Hasura's error code for a remote schema that
// cannot be called or answers something that is not a GraphQL response.
const CodeRemoteSchemaError = "remote-schema-error"

// Request is a GraphQL request sent to a remote schema.
type Request struct {
	Query         string                     `json:"query"`
	OperationName string                     `json:"operationName,omitempty"`
	Variables     map[string]json.RawMessage `json:"variables,omitempty"`
}

// Response is a remote schema's answer: its data, and its errors as
// written.
type Response struct {
	Data   json.RawMessage   `json:"data"`
	Errors []json.RawMessage `json:"errors"`
}

// Client calls one remote schema. It is safe for concurrent use.
type Client struct {
	// Name is the remote schema's name.
	Name string
	url  string
	// urlName is how errors name the URL: its environment variable, or
	// the URL itself (as Hasura).
	urlName string
	headers http.Header
	forward bool
	timeout time.Duration
	http    *http.Client
}

// NewClient returns the client of the remote schema name defined by d,
// its URL and header values read through getenv now. A variable that is
// not set is an error.
func NewClient(name string, d *Definition, getenv func(string) string) (*Client, error) {
	c := &Client{Name: name, url: d.URL, urlName: d.URL, headers: http.Header{}, forward: d.ForwardClientHeaders,
		timeout: time.Duration(d.Timeout()) * time.Second, http: &http.Client{}}
	if d.URLFromEnv != "" {
		c.urlName = d.URLFromEnv
		if c.url = getenv(d.URLFromEnv); c.url == "" {
			return nil, fmt.Errorf("remote schema %q: environment variable %s (url_from_env) is not set", name, d.URLFromEnv)
		}
	}
	for _, h := range d.Headers {
		v := h.Value
		if h.ValueFromEnv != "" {
			if v = getenv(h.ValueFromEnv); v == "" {
				return nil, fmt.Errorf("remote schema %q: environment variable %s (header %s) is not set", name, h.ValueFromEnv, h.Name)
			}
		}
		c.headers.Set(h.Name, v)
	}
	return c, nil
}

// ignoredClientHeaders are the client's headers Hasura does not forward
// (commonClientHeadersIgnored).
var ignoredClientHeaders = map[string]bool{
	"Content-Length": true, "Content-Md5": true, "User-Agent": true, "Host": true, "Origin": true, "Referer": true,
	"Accept": true, "Accept-Encoding": true, "Accept-Language": true, "Accept-Datetime": true,
	"Cache-Control": true, "Connection": true, "Dnt": true, "Content-Type": true,
}

// Headers are the headers of a request to the remote, by Hasura's
// precedence: the configured headers, then the session's variables
// (x-hasura-role and the others), then, with forward_client_headers, the
// client's (less the ignored ones and x-hasura-*; Host, User-Agent and
// Origin as X-Forwarded-*).
func (c *Client) Headers(s *session.Session, client http.Header) http.Header {
	h := http.Header{}
	if c.forward {
		for k, vs := range client {
			ck := http.CanonicalHeaderKey(k)
			switch ck {
			case "Host", "User-Agent", "Origin":
				h["X-Forwarded-"+ck] = vs
			}
			if ignoredClientHeaders[ck] || strings.HasPrefix(strings.ToLower(ck), "x-hasura-") {
				continue
			}
			h[ck] = vs
		}
	}
	if s != nil {
		for k, v := range s.Vars {
			h.Set(k, v)
		}
		h.Set("X-Hasura-Role", s.Role)
	}
	for k, vs := range c.headers {
		h[k] = vs
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	return h
}

type clientHeadersKey struct{}

// WithClientHeaders returns a context carrying the client's request
// headers, which a remote schema with forward_client_headers forwards.
func WithClientHeaders(ctx context.Context, h http.Header) context.Context {
	return context.WithValue(ctx, clientHeadersKey{}, h)
}

// ClientHeaders returns the client's headers carried by ctx, or nil.
func ClientHeaders(ctx context.Context) http.Header {
	h, _ := ctx.Value(clientHeadersKey{}).(http.Header)
	return h
}

// Do sends req with the headers of s and the client's headers in ctx
// (WithClientHeaders) and returns the remote's response. A remote that
// cannot be reached, times out or answers something other than a GraphQL
// response is a *wire.Error with Hasura's code remote-schema-error.
func (c *Client) Do(ctx context.Context, s *session.Session, req *Request) (*Response, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("remote schema %q: %w", c.Name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, c.httpError(err)
	}
	hr.Header = c.Headers(s, ClientHeaders(ctx))
	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, c.httpError(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, c.httpError(err)
	}
	var out Response
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, &wire.Error{Code: CodeRemoteSchemaError, Path: "$", Err: err,
			Message: fmt.Sprintf("remote schema %q answered HTTP %d with an invalid JSON response: %v", c.Name, resp.StatusCode, err)}
	}
	if out.Data == nil && out.Errors == nil {
		return nil, &wire.Error{Code: CodeRemoteSchemaError, Path: "$",
			Message: fmt.Sprintf("remote schema %q answered HTTP %d with neither \"data\" nor \"errors\"", c.Name, resp.StatusCode)}
	}
	return &out, nil
}

// httpError is Hasura's error for a request that failed.
func (c *Client) httpError(err error) error {
	msg := "HTTP exception occurred while sending the request to " + strconv.Quote(c.urlName)
	if errors.Is(err, context.DeadlineExceeded) {
		msg += ": timed out"
	}
	return &wire.Error{Code: CodeRemoteSchemaError, Path: "$", Message: msg, Err: err}
}
