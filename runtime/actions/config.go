// Package actions serves Hasura's synchronous actions: a root field whose
// value comes from an HTTP handler. Call sends Hasura's payload
// ({"action":{"name"}, "input", "session_variables", "request_query"}) with
// the action's headers (and the client's, when forward_client_headers),
// through its request_transform, rewrites the answer's body by its
// response_transform, and maps the answer as Hasura does: a 2xx
// JSON value is the field's value (validated against the output type and
// projected through the selection set by package engine), a 4xx
// {message, extensions} a GraphQL error, anything else Hasura's
// "http exception when calling webhook" or "not a valid json response from
// webhook".
//
// The generator writes the project's actions into schema/actions.jsonc;
// Load reads it and New resolves the environment references once:
//
//	cfg, err := actions.Load(schemas)
//	svc, err := actions.New(cfg, actions.Options{})
//	value, err := svc.Call(ctx, call)
package actions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
)

// File is the generated file, in a project's schema/ directory, that
// declares its actions: JSON after // comment lines.
const File = "actions.jsonc"

// Config is what schema/actions.jsonc declares.
type Config struct {
	Actions []Action `json:"actions,omitempty"`
	// Relationships are the output types' relationships to tables.
	Relationships []Relationship `json:"relationships,omitempty"`
}

// Relationship is a relationship of an output object type to a table:
// the rows of its select root field Root (inside root field namespace
// Namespace, when set) whose columns equal the object's fields.
type Relationship struct {
	Type      string        `json:"type"`
	Name      string        `json:"name"`
	Array     bool          `json:"array,omitempty"`
	Root      string        `json:"root"`
	Namespace string        `json:"namespace,omitempty"`
	Mapping   []FieldColumn `json:"field_mapping"`
}

// FieldColumn pairs a field of the object with a column's GraphQL field.
type FieldColumn struct {
	Field  string `json:"field"`
	Column string `json:"column"`
}

// Action is one action, as Hasura's actions.yaml declares it,
// with the environment references kept unresolved: the server resolves
// them when it starts.
type Action struct {
	Name string `json:"name"`
	// Mutation is set for an action of type Mutation; else it is a query.
	Mutation bool `json:"mutation,omitempty"`
	// Async is set for kind: asynchronous (a mutation): the field
	// returns the action's id at once, a worker calls the handler
	// (async.go), and the query and subscription <name>(id:) read the
	// result.
	Async bool `json:"async,omitempty"`
	// Handler is the URL, with {{ENV}} references; GoOnly ("go") for an
	// action that only a Go handler serves.
	Handler              string   `json:"handler"`
	ForwardClientHeaders bool     `json:"forward_client_headers,omitempty"`
	Headers              []Header `json:"headers,omitempty"`
	// TimeoutSec is the handler's timeout, Hasura's 30 s by default.
	TimeoutSec int `json:"timeout"`
	// RequestTransform is Hasura's request_transform object, unchanged
	// (runtime/transform parses it).
	RequestTransform json.RawMessage `json:"request_transform,omitempty"`
	// ResponseTransform is Hasura's response_transform object, unchanged
	// (runtime/transform.ParseResponse parses it).
	ResponseTransform json.RawMessage `json:"response_transform,omitempty"`
	// OutputType is the output type as written in SDL ("[Out!]").
	OutputType string `json:"output_type"`
	// Rows is set when the output type is a table's: the Go handler
	// returns the rows' primary keys.
	Rows *Rows `json:"rows,omitempty"`
}

// Header is one header sent to the handler: a value, or the name of the
// environment variable holding it.
type Header struct {
	Name         string `json:"name"`
	Value        string `json:"value,omitempty"`
	ValueFromEnv string `json:"value_from_env,omitempty"`
}

// DefaultTimeoutSec is Hasura's timeout of an action's handler.
const DefaultTimeoutSec = 30

// Load reads schema/actions.jsonc from a project's schema files; a
// project without the file has no actions.
func Load(fsys fs.FS) (*Config, error) {
	if fsys == nil {
		return &Config{}, nil
	}
	b, err := fs.ReadFile(fsys, File)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("schema/%s: %w", File, err)
	}
	for bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("//")) {
		_, b, _ = bytes.Cut(bytes.TrimLeft(b, " \t\r\n"), []byte("\n"))
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("schema/%s: %w", File, err)
	}
	return &c, nil
}
