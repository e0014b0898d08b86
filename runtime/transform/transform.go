// Package transform applies Hasura's request transforms (the
// request_transform of event triggers, scheduled triggers and actions):
// method, URL, query parameters, headers and body, with templates in
// Hasura's template language, Kriti (runtime/kriti).
//
// Parse reads and validates a request_transform object once (every
// template is parsed; errors name the key and line:col); Apply rewrites
// one request:
//
//	spec, err := transform.Parse(raw)
//	out, err := spec.Apply(transform.Input{Method: "POST", URL: webhook, BaseURL: webhook, Headers: h, Body: payload})
//
// Templates see Hasura's variables: $body (the request's JSON body, null
// when it is not JSON), $base_url (the configured webhook URL),
// $session_variables and $query_params (the request URL's query as
// [[key, value], …]); getSessionVariable(name) reads a session variable
// by case-insensitive name.
//
// ParseResponse and ResponseSpec.Apply do the same for an action's
// response_transform (response.go).
//
// As in Hasura, nothing is implicit: a header (content-type included)
// changes only through request_headers, so a x_www_form_urlencoded body
// wants remove_headers: [content-type] and add_headers: {content-type:
// application/x-www-form-urlencoded}.
package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/runtime/delivery"
	"github.com/hasgen/hasgen/runtime/kriti"
)

// Spec is a request_transform object as Hasura's metadata writes it
// (version 2; version 1's string body reads as a "transform" Body).
type Spec struct {
	Version        int             `json:"version"`
	TemplateEngine string          `json:"template_engine,omitempty"`
	Method         string          `json:"method,omitempty"`
	URL            string          `json:"url,omitempty"`
	QueryParams    json.RawMessage `json:"query_params,omitempty"`
	RequestHeaders *Headers        `json:"request_headers,omitempty"`
	Body           *Body           `json:"body,omitempty"`
	// ContentType is version 1's content_type; only application/json
	// (what Hasura sends either way) is accepted.
	ContentType string `json:"content_type,omitempty"`

	c *compiled
}

// Headers adds and removes request headers; values are templates.
type Headers struct {
	AddHeaders    map[string]string `json:"add_headers,omitempty"`
	RemoveHeaders []string          `json:"remove_headers,omitempty"`
}

// Body is what becomes of the request body: "transform" (Template),
// "remove", or "x_www_form_urlencoded" (FormTemplate).
type Body struct {
	Action       string            `json:"action"`
	Template     string            `json:"template,omitempty"`
	FormTemplate map[string]string `json:"form_template,omitempty"`
}

// Input is the request before the transform: what Hasura would send.
type Input struct {
	Method  string
	URL     string
	Headers http.Header
	Body    []byte
	// SessionVariables are the session of the request or event (nil when
	// there is none: $session_variables is then null).
	SessionVariables map[string]string
	// BaseURL is $base_url, the webhook URL as configured; URL when empty.
	BaseURL string
}

// Output is the request after the transform. Body is nil when the
// transform removed it.
type Output struct {
	Method  string
	URL     string
	Headers http.Header
	Body    []byte
}

// Variables are the names templates may read.
var Variables = []string{"$base_url", "$body", "$query_params", "$session_variables"}

// TemplateError is a template's parse or evaluation error, with the
// metadata key it sits at (request_transform.body.template, …).
type TemplateError struct {
	Key string
	Err *kriti.Error
}

// Error formats the error as key:line:col: message.
func (e *TemplateError) Error() string { return e.Key + ":" + e.Err.Error() }

// Unwrap returns the *kriti.Error.
func (e *TemplateError) Unwrap() error { return e.Err }

// compiled holds a Spec's parsed templates.
type compiled struct {
	url       *kriti.Template
	params    []param
	paramsTpl *kriti.Template
	hasParams bool
	add       []header
	remove    []string
	body      *kriti.Template
	form      []field
}

// param is one query parameter; keyAt and valAt are the metadata keys
// its errors name.
type param struct {
	key, val     *kriti.Template // val nil: a key without a value
	keyAt, valAt string
}

type header struct {
	name, at string
	val      *kriti.Template
}

type field struct {
	name, at string
	val      *kriti.Template
}

// wire is the JSON form Parse reads; pointers tell absent from empty.
type wire struct {
	Version        *int            `json:"version"`
	TemplateEngine *string         `json:"template_engine"`
	Method         *string         `json:"method"`
	URL            *string         `json:"url"`
	QueryParams    json.RawMessage `json:"query_params"`
	RequestHeaders *Headers        `json:"request_headers"`
	Body           json.RawMessage `json:"body"`
	ContentType    *string         `json:"content_type"`
}

// Parse reads a request_transform object and parses every template in
// it; its errors name the key (and line:col in the template).
func Parse(raw json.RawMessage) (*Spec, error) {
	var w wire
	if err := decodeStrict(raw, &w); err != nil {
		return nil, fmt.Errorf("request_transform: %w", err)
	}
	s := &Spec{Version: 1, TemplateEngine: "Kriti"}
	if w.Version != nil {
		if *w.Version != 1 && *w.Version != 2 {
			return nil, fmt.Errorf("request_transform.version: expected 1 or 2, found %d", *w.Version)
		}
		s.Version = *w.Version
	}
	if w.TemplateEngine != nil && *w.TemplateEngine != "Kriti" {
		return nil, fmt.Errorf("request_transform.template_engine: %q is not served (Hasura's only engine is Kriti)", *w.TemplateEngine)
	}
	if w.Method != nil {
		s.Method = *w.Method
	}
	if w.URL != nil {
		s.URL = *w.URL
	}
	if w.ContentType != nil {
		s.ContentType = *w.ContentType
		if s.ContentType != "application/json" {
			return nil, fmt.Errorf("request_transform.content_type: %q is not served: Hasura sends JSON whatever content_type says; for a form body use version 2's body.action x_www_form_urlencoded and set the content-type in request_headers", s.ContentType)
		}
	}
	if len(w.QueryParams) > 0 && string(w.QueryParams) != "null" {
		s.QueryParams = w.QueryParams
	}
	s.RequestHeaders = w.RequestHeaders
	if len(w.Body) > 0 && string(w.Body) != "null" {
		b, err := parseBody(s.Version, w.Body)
		if err != nil {
			return nil, err
		}
		s.Body = b
	}
	c, err := s.compile()
	if err != nil {
		return nil, err
	}
	s.c = c
	return s, nil
}

// decodeStrict decodes raw into v, refusing unknown fields.
func decodeStrict(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the object")
	}
	return nil
}

// parseBody reads body: a template string in version 1, an object in
// version 2.
func parseBody(version int, raw json.RawMessage) (*Body, error) {
	if version == 1 {
		var tmpl string
		if err := json.Unmarshal(raw, &tmpl); err != nil {
			return nil, errors.New("request_transform.body: version 1 takes the body template as a string (version 2 takes {action, template})")
		}
		return &Body{Action: "transform", Template: tmpl}, nil
	}
	var b Body
	if err := decodeStrict(raw, &b); err != nil {
		return nil, fmt.Errorf("request_transform.body: version 2 takes an object {action, template | form_template}: %w", err)
	}
	switch b.Action {
	case "remove":
	case "transform":
		if b.Template == "" {
			return nil, errors.New("request_transform.body.template: required for action transform")
		}
	case "x_www_form_urlencoded":
		if len(b.FormTemplate) == 0 {
			return nil, errors.New("request_transform.body.form_template: required for action x_www_form_urlencoded")
		}
	default:
		return nil, fmt.Errorf("request_transform.body.action: %q is not one of remove, transform, x_www_form_urlencoded", b.Action)
	}
	return &b, nil
}

// compile parses s's templates.
func (s *Spec) compile() (*compiled, error) {
	c := &compiled{}
	if s.Method != "" && !isToken(s.Method) {
		return nil, fmt.Errorf("request_transform.method: %q is not an HTTP method", s.Method)
	}
	var err error
	if s.URL != "" {
		if c.url, err = parseTemplate("request_transform.url", s.URL, true); err != nil {
			return nil, err
		}
	}
	if len(s.QueryParams) > 0 && string(s.QueryParams) != "null" {
		if err := c.compileParams(s.QueryParams); err != nil {
			return nil, err
		}
	}
	if h := s.RequestHeaders; h != nil {
		for _, name := range sortedKeys(h.AddHeaders) {
			key := fmt.Sprintf("request_transform.request_headers.add_headers[%q]", name)
			if !isToken(name) {
				return nil, fmt.Errorf("%s: %q is not a header name", key, name)
			}
			t, err := parseTemplate(key, h.AddHeaders[name], true)
			if err != nil {
				return nil, err
			}
			c.add = append(c.add, header{name: http.CanonicalHeaderKey(name), at: key, val: t})
		}
		for i, name := range h.RemoveHeaders {
			if !isToken(name) {
				return nil, fmt.Errorf("request_transform.request_headers.remove_headers[%d]: %q is not a header name", i, name)
			}
			c.remove = append(c.remove, http.CanonicalHeaderKey(name))
		}
	}
	if b := s.Body; b != nil {
		switch b.Action {
		case "transform":
			if c.body, err = parseTemplate("request_transform.body.template", b.Template, false); err != nil {
				return nil, err
			}
		case "x_www_form_urlencoded":
			for _, name := range sortedKeys(b.FormTemplate) {
				at := fmt.Sprintf("request_transform.body.form_template[%q]", name)
				t, err := parseTemplate(at, b.FormTemplate[name], true)
				if err != nil {
					return nil, err
				}
				c.form = append(c.form, field{name: name, at: at, val: t})
			}
		case "remove":
		default:
			return nil, fmt.Errorf("request_transform.body.action: %q is not one of remove, transform, x_www_form_urlencoded", b.Action)
		}
	}
	return c, nil
}

// compileParams reads query_params: an object of templates (a null value
// is a key without a value) or one template of the whole query string.
func (c *compiled) compileParams(raw json.RawMessage) error {
	c.hasParams = true
	var tmpl string
	if err := json.Unmarshal(raw, &tmpl); err == nil {
		t, err := parseTemplate("request_transform.query_params", tmpl, true)
		c.paramsTpl = t
		return err
	}
	var m map[string]*string
	if err := json.Unmarshal(raw, &m); err != nil {
		return errors.New("request_transform.query_params: expected an object of templates or one template string")
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		p := param{keyAt: fmt.Sprintf("request_transform.query_params key %q", name), valAt: fmt.Sprintf("request_transform.query_params[%q]", name)}
		var err error
		if p.key, err = parseTemplate(p.keyAt, name, true); err != nil {
			return err
		}
		if v := m[name]; v != nil {
			if p.val, err = parseTemplate(p.valAt, *v, true); err != nil {
				return err
			}
		}
		c.params = append(c.params, p)
	}
	return nil
}

// parseTemplate parses a template of a request transform.
func parseTemplate(key, src string, interpolated bool) (*kriti.Template, error) {
	return parseTemplateOf(key, src, interpolated, "request transforms", Variables)
}

// parseTemplateOf parses a whole (or, interpolated, a string) template and
// checks it reads only vars, the variables of what.
func parseTemplateOf(key, src string, interpolated bool, what string, vars []string) (*kriti.Template, error) {
	parse := kriti.Parse
	if interpolated {
		parse = kriti.ParseInterpolated
	}
	t, err := parse(src)
	if err != nil {
		var ke *kriti.Error
		if errors.As(err, &ke) {
			return nil, &TemplateError{Key: key, Err: ke}
		}
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	for _, v := range t.Vars() {
		if !slices.Contains(vars, v.Name) {
			return nil, &TemplateError{Key: key, Err: &kriti.Error{Line: v.Line, Col: v.Col,
				Msg: fmt.Sprintf("variable %s is not defined (%s have %s)", v.Name, what, strings.Join(vars, ", "))}}
		}
	}
	return t, nil
}

// Apply rewrites one request. s should come from Parse (a Spec built by
// hand has its templates parsed on each call). Errors name the key of the
// template that failed.
func (s *Spec) Apply(in Input) (*Output, error) {
	c := s.c
	if c == nil {
		var err error
		if c, err = s.compile(); err != nil {
			return nil, err
		}
	}
	vars, err := contextVars(in)
	if err != nil {
		return nil, err
	}
	fns := kriti.SessionFunctions(in.SessionVariables)
	out := &Output{Method: in.Method, URL: in.URL, Headers: in.Headers.Clone(), Body: in.Body}
	if out.Headers == nil {
		out.Headers = http.Header{}
	}
	if s.Method != "" {
		// Hasura reads the method case-insensitively ("get" is valid
		// metadata); servers expect the standard upper case.
		out.Method = strings.ToUpper(s.Method)
	}
	if c.url != nil {
		u, err := evalString("request_transform.url", c.url, vars, fns)
		if err != nil {
			return nil, err
		}
		if pu, err := url.Parse(u); err != nil || pu.Scheme == "" || pu.Host == "" {
			return nil, fmt.Errorf("request_transform.url: invalid URL %q", u)
		}
		out.URL = u
	}
	if c.hasParams {
		q, err := c.query(vars, fns)
		if err != nil {
			return nil, err
		}
		pu, err := url.Parse(out.URL)
		if err != nil {
			return nil, fmt.Errorf("request_transform.query_params: the URL %q: %w", out.URL, err)
		}
		pu.RawQuery = q
		out.URL = pu.String()
	}
	for _, name := range c.remove {
		out.Headers.Del(name)
	}
	for _, h := range c.add {
		v, err := evalString(h.at, h.val, vars, fns)
		if err != nil {
			return nil, err
		}
		out.Headers.Set(h.name, v)
	}
	if s.Body != nil {
		switch s.Body.Action {
		case "remove":
			out.Body = nil
		case "transform":
			b, err := kriti.EvalJSON(c.body, vars, fns)
			if err != nil {
				return nil, templateErr("request_transform.body.template", err)
			}
			out.Body = b
		case "x_www_form_urlencoded":
			b, err := encodeForm(c.form, vars, fns)
			if err != nil {
				return nil, err
			}
			out.Body = []byte(b)
		}
	}
	return out, nil
}

// ApplyRequest applies s to a webhook request in place, with the request's
// URL as $base_url: the form event and scheduled trigger workers hold.
func (s *Spec) ApplyRequest(req *delivery.Request, session map[string]string) error {
	method := req.Method
	if method == "" {
		method = http.MethodPost
	}
	out, err := s.Apply(Input{Method: method, URL: req.URL, BaseURL: req.URL, Headers: req.Headers, Body: req.Body, SessionVariables: session})
	if err != nil {
		return err
	}
	req.Method, req.URL, req.Headers, req.Body = out.Method, out.URL, out.Headers, out.Body
	return nil
}

// query renders the query string of query_params.
func (c *compiled) query(vars map[string]any, fns map[string]kriti.Func) (string, error) {
	var pairs [][2]*string
	if c.paramsTpl != nil {
		q, err := evalString("request_transform.query_params", c.paramsTpl, vars, fns)
		if err != nil {
			return "", err
		}
		pairs = parseQuery(q)
	} else {
		for _, p := range c.params {
			k, err := evalString(p.keyAt, p.key, vars, fns)
			if err != nil {
				return "", err
			}
			var v *string
			if p.val != nil {
				s, err := evalString(p.valAt, p.val, vars, fns)
				if err != nil {
					return "", err
				}
				v = &s
			}
			// Hasura drops a parameter whose key or value renders as null.
			if k == "null" || (v != nil && *v == "null") {
				continue
			}
			pairs = append(pairs, [2]*string{&k, v})
		}
	}
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(*p[0]))
		if p[1] != nil {
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(*p[1]))
		}
	}
	return b.String(), nil
}

// parseQuery splits a query string as Hasura's HTTP library does: on & and
// ;, decoding each key and value; a key without = has no value.
func parseQuery(q string) [][2]*string {
	q = strings.TrimPrefix(q, "?")
	var out [][2]*string
	for _, part := range strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' }) {
		k, v, hasV := strings.Cut(part, "=")
		k = unescape(k)
		pair := [2]*string{&k, nil}
		if hasV {
			v = unescape(v)
			pair[1] = &v
		}
		out = append(out, pair)
	}
	return out
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// contextVars builds the variables templates see.
func contextVars(in Input) (map[string]any, error) {
	var body any
	if len(bytes.TrimSpace(in.Body)) > 0 {
		if b, err := kriti.DecodeJSON(in.Body); err == nil {
			body = b
		}
	}
	session := sessionValue(in.SessionVariables)
	params := []any{}
	if i := strings.IndexByte(in.URL, '?'); i >= 0 {
		raw := in.URL[i+1:]
		if j := strings.IndexByte(raw, '#'); j >= 0 {
			raw = raw[:j]
		}
		for _, p := range parseQuery(raw) {
			var v any
			if p[1] != nil {
				v = *p[1]
			}
			params = append(params, []any{*p[0], v})
		}
	}
	base := in.BaseURL
	if base == "" {
		base = in.URL
	}
	return map[string]any{"$body": body, "$base_url": base, "$session_variables": session, "$query_params": params}, nil
}

// encodeForm renders a form template as an x-www-form-urlencoded body.
func encodeForm(form []field, vars map[string]any, fns map[string]kriti.Func) (string, error) {
	var b strings.Builder
	for i, f := range form {
		v, err := evalString(f.at, f.val, vars, fns)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kriti.EscapeURIComponent(f.name))
		b.WriteByte('=')
		b.WriteString(kriti.EscapeURIComponent(v))
	}
	return b.String(), nil
}

// sessionValue is $session_variables: lower-case names, null without a
// session.
func sessionValue(vars map[string]string) any {
	if vars == nil {
		return nil
	}
	m := make(map[string]any, len(vars))
	for k, v := range vars {
		m[strings.ToLower(k)] = v
	}
	return m
}

// evalString evaluates an interpolated template to its text.
func evalString(key string, t *kriti.Template, vars map[string]any, fns map[string]kriti.Func) (string, error) {
	v, err := kriti.Eval(t, vars, fns)
	if err != nil {
		return "", templateErr(key, err)
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case json.Number:
		return string(x), nil
	}
	return "", fmt.Errorf("%s: the template must produce a String, Number or Boolean value", key)
}

// templateErr names the key of a template's evaluation error.
func templateErr(key string, err error) error {
	var ke *kriti.Error
	if errors.As(err, &ke) {
		return &TemplateError{Key: key, Err: ke}
	}
	return fmt.Errorf("%s: %w", key, err)
}

// isToken reports whether s is an HTTP token (a method or header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
