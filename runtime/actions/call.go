package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/hasgen/hasgen/runtime/delivery"
	"github.com/hasgen/hasgen/runtime/transform"
	"github.com/hasgen/hasgen/runtime/wire"
)

// Options configure a Service.
type Options struct {
	// Client sends the requests; http.DefaultClient when nil.
	Client *http.Client
	// Getenv resolves {{ENV}} in handlers and value_from_env headers;
	// os.Getenv when nil.
	Getenv func(string) string
	// Handlers are the Go handlers, by action name: an action with one
	// is answered by it instead of its webhook (whose environment is
	// then not needed).
	Handlers map[string]Handler
}

// Service calls the handlers of a project's actions. It is safe for
// concurrent use.
type Service struct {
	client  *http.Client
	actions map[string]*action
	rels    map[string][]Relationship
	// enqueued wakes the worker of asynchronous actions (async.go).
	enqueued chan struct{}
}

// action is an Action with its environment resolved and its transform
// parsed.
type action struct {
	Action
	url       string
	headers   http.Header
	transform *transform.Spec
	response  *transform.ResponseSpec
	// goHandler answers the action in place of its webhook when set.
	goHandler Handler
}

// New resolves the environment references of cfg's actions and parses
// their transforms. A variable that is not set is an error naming the
// action, as Hasura refuses such metadata. An action with a Go handler
// (o.Handlers) is answered by it; one whose handler is GoOnly must have
// one, and a Go handler of no action is an error too.
func New(cfg *Config, o Options) (*Service, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	s := &Service{client: client, actions: map[string]*action{}, rels: map[string][]Relationship{}, enqueued: make(chan struct{}, 1)}
	for _, r := range cfg.Relationships {
		s.rels[r.Type] = append(s.rels[r.Type], r)
	}
	var errs []error
	for name := range o.Handlers {
		found := false
		for _, a := range cfg.Actions {
			found = found || a.Name == name
		}
		if !found {
			errs = append(errs, fmt.Errorf("no action %s for the Go handler of that name", name))
		}
	}
	for _, a := range cfg.Actions {
		ra := &action{Action: a, headers: http.Header{}, goHandler: o.Handlers[a.Name]}
		if ra.goHandler != nil || a.Handler == GoOnly {
			if ra.goHandler == nil {
				errs = append(errs, fmt.Errorf("action %q: its handler is %q but no Go handler is set: set it in actions/handlers.go (main.go passes actions.Setup().ByName() as runtime.Project.ActionHandlers)", a.Name, GoOnly))
			}
			s.actions[a.Name] = ra
			continue
		}
		u, err := resolveTemplate(a.Handler, getenv)
		if err != nil {
			errs = append(errs, fmt.Errorf("action %q: handler: %w", a.Name, err))
		}
		ra.url = u
		for _, h := range a.Headers {
			v := h.Value
			if h.ValueFromEnv != "" {
				v = getenv(h.ValueFromEnv)
				if v == "" {
					errs = append(errs, fmt.Errorf("action %q: header %s: environment variable %q is not set", a.Name, h.Name, h.ValueFromEnv))
				}
			}
			ra.headers.Set(h.Name, v)
		}
		if len(a.RequestTransform) > 0 {
			spec, err := transform.Parse(a.RequestTransform)
			if err != nil {
				errs = append(errs, fmt.Errorf("action %q: %w", a.Name, err))
			}
			ra.transform = spec
		}
		if len(a.ResponseTransform) > 0 {
			spec, err := transform.ParseResponse(a.ResponseTransform)
			if err != nil {
				errs = append(errs, fmt.Errorf("action %q: %w", a.Name, err))
			}
			ra.response = spec
		}
		s.actions[a.Name] = ra
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// resolveTemplate replaces each {{VAR}} of s with the variable's value, as
// Hasura's handler templating does.
func resolveTemplate(s string, getenv func(string) string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return "", fmt.Errorf("unclosed {{ in %q", s)
		}
		name := strings.TrimSpace(s[i+2 : i+j])
		v := getenv(name)
		if v == "" {
			return "", fmt.Errorf("environment variable %q is not set", name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+2:]
	}
}

// Has reports whether name is an action of the service, and whether it is
// a mutation.
func (s *Service) Has(name string) (ok, mutation bool) {
	if s == nil {
		return false, false
	}
	a := s.actions[name]
	if a == nil {
		return false, false
	}
	return true, a.Mutation
}

// Call is one call of an action.
type Call struct {
	Name string
	// Input holds the field's arguments, as Hasura's payload's "input".
	Input map[string]any
	// Session holds the session variables by lower-case name.
	Session map[string]string
	// Query is the request's GraphQL text ("request_query").
	Query string
}

// payload is the body Hasura sends to an action's handler.
type payload struct {
	Action struct {
		Name string `json:"name"`
	} `json:"action"`
	Input            map[string]any    `json:"input"`
	SessionVariables map[string]string `json:"session_variables"`
	RequestQuery     string            `json:"request_query"`
}

// Do calls the action's handler and returns the JSON value of a 2xx
// answer, unprojected. Errors are *wire.Error values with Hasura's
// messages and codes: the handler's own {message, extensions} for a 4xx.
func (s *Service) Do(ctx context.Context, c Call) (json.RawMessage, error) {
	a := s.actions[c.Name]
	if a == nil {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: fmt.Sprintf("action %q is not defined", c.Name)}
	}
	if a.goHandler != nil {
		// An asynchronous action's worker: the Go handler, after the
		// request (gohandler.go).
		return doGo(ctx, a.goHandler, c)
	}
	var p payload
	p.Action.Name = c.Name
	p.Input = c.Input
	if p.Input == nil {
		p.Input = map[string]any{}
	}
	p.SessionVariables = c.Session
	if p.SessionVariables == nil {
		p.SessionVariables = map[string]string{}
	}
	p.RequestQuery = c.Query
	body, err := json.Marshal(p)
	if err != nil {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot encode the action's payload", Err: err}
	}
	h := http.Header{}
	if a.ForwardClientHeaders {
		forwardHeaders(h, ClientHeaders(ctx))
	}
	h.Set("Content-Type", "application/json")
	for k, vs := range a.headers { // configured headers win
		h[k] = vs
	}
	req := delivery.Request{Method: http.MethodPost, URL: a.url, Headers: h, Body: body,
		Timeout: time.Duration(a.TimeoutSec) * time.Second}
	var sent *transform.Input // the request as Hasura's $request sees it
	if a.transform != nil {
		sent = &transform.Input{Method: req.Method, URL: req.URL, BaseURL: req.URL, Headers: req.Headers, Body: req.Body, SessionVariables: c.Session}
		if err := a.transform.ApplyRequest(&req, c.Session); err != nil {
			return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "Request Transformation Failed", Err: err}
		}
	}
	res := delivery.Send(ctx, s.client, req)
	if res.Status == 0 {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "http exception when calling webhook", Err: res.Err}
	}
	if a.response != nil && res.Err == nil {
		// Before the status is read, as Hasura does: a template may turn
		// a handler's own error shape into {message, extensions}.
		b, err := a.response.Apply(transform.ResponseInput{Body: res.Body, Status: res.Status, Request: sent, SessionVariables: c.Session})
		if err != nil {
			return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "Response Transformation Failed", Err: err}
		}
		res.Body = b
	}
	if res.Err != nil || !json.Valid(res.Body) {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "not a valid json response from webhook", Err: res.Err}
	}
	switch {
	case res.Status >= 200 && res.Status < 300:
		return res.Body, nil
	case res.Status >= 400 && res.Status < 500:
		return nil, webhookError(res.Body)
	}
	return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "internal error",
		Err: fmt.Errorf("expecting 2xx or 4xx status code, but found %d", res.Status)}
}

// webhookError is the GraphQL error of a handler's 4xx answer
// {message, code?, extensions?}: Hasura gives the handler's extensions
// in place of its own path and code when there are some, else its code
// (unexpected by default).
func webhookError(body []byte) error {
	var e struct {
		Message    *string         `json:"message"`
		Code       string          `json:"code"`
		Extensions json.RawMessage `json:"extensions"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Message == nil {
		msg := "the key 'message' was not present"
		if err != nil {
			msg = "expected Object, but encountered " + jsonKind(body)
		}
		return &wire.Error{Code: wire.CodeParseFailed, Path: "$", Message: msg}
	}
	code := e.Code
	if code == "" {
		code = wire.CodeUnexpected
	}
	we := &wire.Error{Code: code, Path: "$", Message: *e.Message}
	if len(e.Extensions) > 0 && !bytes.Equal(bytes.TrimSpace(e.Extensions), []byte("null")) {
		var compact bytes.Buffer
		if json.Compact(&compact, e.Extensions) == nil {
			// The whole error as Hasura writes it.
			raw := append([]byte(`{"message":`), appendJSONString(*e.Message)...)
			raw = append(append(append(raw, `,"extensions":`...), compact.Bytes()...), '}')
			we.Raw = raw
		}
	}
	return we
}

// appendJSONString returns s as a JSON string.
func appendJSONString(s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}

// jsonKind names the kind of a JSON value as Aeson's errors do.
func jsonKind(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "Null"
	}
	switch b[0] {
	case '[':
		return "Array"
	case '"':
		return "String"
	case 't', 'f':
		return "Boolean"
	case 'n':
		return "Null"
	case '{':
		return "Object"
	}
	return "Number"
}

// ignoredClientHeaders are the client headers Hasura does not forward
// (commonClientHeadersIgnored), lower case.
var ignoredClientHeaders = map[string]bool{
	"content-length": true, "content-md5": true, "user-agent": true, "host": true, "origin": true, "referer": true,
	"accept": true, "accept-encoding": true, "accept-language": true, "accept-datetime": true,
	"cache-control": true, "connection": true, "dnt": true, "content-type": true,
}

// forwardHeaders copies the client's headers into h as Hasura forwards
// them: without the ignored ones and the session variables (x-hasura-*),
// and with Host, User-Agent and Origin as X-Forwarded-*.
func forwardHeaders(h http.Header, client http.Header) {
	names := make([]string, 0, len(client))
	for k := range client {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		lk := strings.ToLower(k)
		switch lk {
		case "host":
			h["X-Forwarded-Host"] = client[k]
		case "user-agent":
			h["X-Forwarded-User-Agent"] = client[k]
		case "origin":
			h["X-Forwarded-Origin"] = client[k]
		}
		if ignoredClientHeaders[lk] || strings.HasPrefix(lk, "x-hasura-") {
			continue
		}
		h[http.CanonicalHeaderKey(k)] = client[k]
	}
}

type headersKey struct{}

// WithClientHeaders returns a context carrying the headers of the
// client's request (Host among them), which actions with
// forward_client_headers pass on. The transports call it. The headers are
// copied when ClientHeaders asks for them, not here: most requests call
// no action, and the copy would cost every request a map.
func WithClientHeaders(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, headersKey{}, clientRequest{r})
}

// clientRequest is the request whose headers WithClientHeaders noted.
type clientRequest struct{ r *http.Request }

// headers is a copy of the request's headers, with Host.
func (c clientRequest) headers() http.Header {
	h := c.r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if c.r.Host != "" {
		h.Set("Host", c.r.Host)
	}
	return h
}

// WithHeaders returns a context carrying h as the client's headers (a
// websocket's, merged from its upgrade request and connection_init).
func WithHeaders(ctx context.Context, h http.Header) context.Context {
	return context.WithValue(ctx, headersKey{}, h)
}

// ClientHeaders returns the client's headers WithClientHeaders or
// WithHeaders stored, or nil. Those of WithClientHeaders are a new copy
// on each call, which the caller may change.
func ClientHeaders(ctx context.Context) http.Header {
	switch v := ctx.Value(headersKey{}).(type) {
	case http.Header:
		return v
	case clientRequest:
		return v.headers()
	}
	return nil
}

// Relationships returns the relationships of the output object type typ.
func (s *Service) Relationships(typ string) []Relationship {
	if s == nil {
		return nil
	}
	return s.rels[typ]
}
