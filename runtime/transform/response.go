package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hasgen/hasgen/runtime/kriti"
)

// This file applies Hasura's response_transform (actions): the body of a
// handler's answer rewritten by a template before Hasura reads it, whatever
// its status, so that a handler that answers in its own shape (an
// envelope, another error format) serves an action unchanged.

// ResponseVariables are the names response templates may read: $body
// (the answer's JSON body, null when it is not JSON), $request (the
// request as sent before its request_transform: {body, session_variables,
// base_url, query_params}; null when the action has no request_transform,
// as in Hasura), $response ({status}) and $session_variables.
var ResponseVariables = []string{"$body", "$request", "$response", "$session_variables"}

// ResponseSpec is a parsed response_transform object: version 1 takes the
// body template as a string, version 2 a body object {action: transform |
// remove | x_www_form_urlencoded, template | form_template}.
type ResponseSpec struct {
	// Body is nil when the transform leaves the body as it is.
	Body *Body

	body *kriti.Template
	form []field
}

// responseWire is the JSON form ParseResponse reads.
type responseWire struct {
	Version        *int            `json:"version"`
	TemplateEngine *string         `json:"template_engine"`
	Body           json.RawMessage `json:"body"`
}

// ParseResponse reads a response_transform object and parses its
// templates; its errors name the key (and line:col in the template).
func ParseResponse(raw json.RawMessage) (*ResponseSpec, error) {
	var w responseWire
	if err := decodeStrict(raw, &w); err != nil {
		return nil, fmt.Errorf("response_transform: %w", err)
	}
	version := 1
	if w.Version != nil {
		if *w.Version != 1 && *w.Version != 2 {
			return nil, fmt.Errorf("response_transform.version: expected 1 or 2, found %d", *w.Version)
		}
		version = *w.Version
	}
	if w.TemplateEngine != nil && *w.TemplateEngine != "Kriti" {
		return nil, fmt.Errorf("response_transform.template_engine: %q is not served (Hasura's only engine is Kriti)", *w.TemplateEngine)
	}
	s := &ResponseSpec{}
	if len(w.Body) == 0 || string(w.Body) == "null" {
		return s, nil
	}
	b, err := parseBody(version, w.Body)
	if err != nil {
		// parseBody names request_transform's keys.
		return nil, errors.New(strings.Replace(err.Error(), "request_transform", "response_transform", 1))
	}
	s.Body = b
	switch b.Action {
	case "transform":
		if s.body, err = parseTemplateOf("response_transform.body.template", b.Template, false, "response transforms", ResponseVariables); err != nil {
			return nil, err
		}
	case "x_www_form_urlencoded":
		for _, name := range sortedKeys(b.FormTemplate) {
			at := fmt.Sprintf("response_transform.body.form_template[%q]", name)
			t, err := parseTemplateOf(at, b.FormTemplate[name], true, "response transforms", ResponseVariables)
			if err != nil {
				return nil, err
			}
			s.form = append(s.form, field{name: name, at: at, val: t})
		}
	}
	return s, nil
}

// ResponseInput is a handler's answer and what it answered.
type ResponseInput struct {
	// Body and Status are the answer's.
	Body   []byte
	Status int
	// Request is the request before its request transform, nil when there
	// was none ($request is then null).
	Request *Input
	// SessionVariables are the caller's session.
	SessionVariables map[string]string
}

// Apply returns the transformed body: JSON, "null" when the transform
// removes the body, a JSON string for x_www_form_urlencoded; the body
// unchanged when the transform has no body. Errors name the template.
func (s *ResponseSpec) Apply(in ResponseInput) ([]byte, error) {
	if s.Body == nil {
		return in.Body, nil
	}
	if s.Body.Action == "remove" {
		return []byte("null"), nil
	}
	var body any
	if len(bytes.TrimSpace(in.Body)) > 0 {
		if b, err := kriti.DecodeJSON(in.Body); err == nil {
			body = b
		}
	}
	var request any
	if in.Request != nil {
		rv, err := contextVars(*in.Request)
		if err != nil {
			return nil, err
		}
		request = map[string]any{"body": rv["$body"], "session_variables": rv["$session_variables"],
			"base_url": rv["$base_url"], "query_params": rv["$query_params"]}
	}
	vars := map[string]any{"$body": body, "$request": request,
		"$response": map[string]any{"status": json.Number(fmt.Sprint(in.Status))}, "$session_variables": sessionValue(in.SessionVariables)}
	fns := kriti.SessionFunctions(in.SessionVariables)
	if s.Body.Action == "transform" {
		out, err := kriti.EvalJSON(s.body, vars, fns)
		if err != nil {
			return nil, templateErr("response_transform.body.template", err)
		}
		return out, nil
	}
	form, err := encodeForm(s.form, vars, fns)
	if err != nil {
		return nil, err
	}
	return json.Marshal(form)
}
