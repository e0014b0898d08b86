// Package transform applies Hasura's request transforms (the
// request_transform of event triggers, scheduled triggers and actions):
// method, URL, query parameters, headers and body, with templates in
// Hasura's template language, Kriti (runtime/kriti).
package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Spec is a request_transform object as Hasura's metadata writes it
// (version 2).
type Spec struct {
	Version        int             `json:"version"`
	TemplateEngine string          `json:"template_engine,omitempty"`
	Method         string          `json:"method,omitempty"`
	URL            string          `json:"url,omitempty"`
	QueryParams    json.RawMessage `json:"query_params,omitempty"`
	RequestHeaders *Headers        `json:"request_headers,omitempty"`
	Body           *Body           `json:"body,omitempty"`
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

// Parse reads a request_transform object; its errors name the key.
func Parse(raw json.RawMessage) (*Spec, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	var s Spec
	if err := d.Decode(&s); err != nil {
		return nil, fmt.Errorf("request_transform: %w", err)
	}
	return &s, nil
}
