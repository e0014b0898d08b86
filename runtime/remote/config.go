package remote

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/hasgen/hasgen/runtime/events"
)

// Definition is a remote schema's definition in remote_schemas.yaml:
// where the remote GraphQL server is and how it is called.
type Definition struct {
	// URL, or the environment variable URLFromEnv holding it.
	URL        string `json:"url,omitempty"`
	URLFromEnv string `json:"url_from_env,omitempty"`
	// Headers are sent with every request (value or value_from_env).
	Headers []events.Header `json:"headers,omitempty"`
	// ForwardClientHeaders forwards the client's headers, less those
	// Hasura ignores (IgnoredClientHeaders).
	ForwardClientHeaders bool `json:"forward_client_headers,omitempty"`
	// TimeoutSeconds bounds a request; 0 is Hasura's default, 60.
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
	// Customization renames the remote's root fields, types and fields.
	Customization *Customization `json:"customization,omitempty"`
}

// DefaultTimeoutSeconds is Hasura's timeout of a remote schema request.
const DefaultTimeoutSeconds = 60

// Timeout is the definition's timeout in seconds, Hasura's default when
// unset.
func (d *Definition) Timeout() int {
	if d.TimeoutSeconds > 0 {
		return d.TimeoutSeconds
	}
	return DefaultTimeoutSeconds
}

// Customization is a remote schema's customization: its root fields
// under one namespace field, its types and fields renamed.
type Customization struct {
	RootFieldsNamespace string        `json:"root_fields_namespace,omitempty"`
	TypeNames           *TypeNames    `json:"type_names,omitempty"`
	FieldNames          []*FieldNames `json:"field_names,omitempty"`
}

// TypeNames renames the remote's types: Mapping first, else Prefix +
// name + Suffix. Built-in scalars and introspection types keep their
// names.
type TypeNames struct {
	Prefix  string            `json:"prefix,omitempty"`
	Suffix  string            `json:"suffix,omitempty"`
	Mapping map[string]string `json:"mapping,omitempty"`
}

// FieldNames renames the fields of the remote's type ParentType (its
// name in the remote): Mapping first, else Prefix + name + Suffix.
type FieldNames struct {
	ParentType string            `json:"parent_type"`
	Prefix     string            `json:"prefix,omitempty"`
	Suffix     string            `json:"suffix,omitempty"`
	Mapping    map[string]string `json:"mapping,omitempty"`
}

// builtinScalars keep their names under a type customization, as in
// Hasura.
var builtinScalars = map[string]bool{"Int": true, "Float": true, "String": true, "Boolean": true, "ID": true}

// TypeName is the name the remote's type name has in the merged schema.
func (c *Customization) TypeName(name string) string {
	if c == nil || c.TypeNames == nil || builtinScalars[name] || strings.HasPrefix(name, "__") {
		return name
	}
	if m, ok := c.TypeNames.Mapping[name]; ok {
		return m
	}
	return c.TypeNames.Prefix + name + c.TypeNames.Suffix
}

// FieldName is the name the field name of the remote's type parent has
// in the merged schema.
func (c *Customization) FieldName(parent, name string) string {
	if c == nil || strings.HasPrefix(name, "__") {
		return name
	}
	for _, f := range c.FieldNames {
		if f.ParentType != parent {
			continue
		}
		if m, ok := f.Mapping[name]; ok {
			return m
		}
		return f.Prefix + name + f.Suffix
	}
	return name
}

// Namespace is the root fields' namespace field, or "".
func (c *Customization) Namespace() string {
	if c == nil {
		return ""
	}
	return c.RootFieldsNamespace
}

// Schema is what a server knows of one remote schema: how to call it and
// how the names it serves map to the remote's. hasgen generate writes the
// project's remote schemas to schema/remote_schemas.jsonc (LoadSchemas).
type Schema struct {
	Name       string     `json:"name"`
	Definition Definition `json:"definition"`
	// Query and Mutation are the remote's root fields as served, each
	// mapped to its name in the remote; empty under a namespace.
	Query    map[string]string `json:"query,omitempty"`
	Mutation map[string]string `json:"mutation,omitempty"`
	// Namespace is the field of query_root and mutation_root that holds
	// the remote's root fields (root_fields_namespace), or "".
	Namespace string `json:"namespace,omitempty"`
	// Types maps the served type names to the remote's, where they
	// differ.
	Types map[string]string `json:"types,omitempty"`
	// Fields maps, by served type name, the served field names to the
	// remote's, where they differ.
	Fields map[string]map[string]string `json:"fields,omitempty"`
	// Roles are the roles other than admin that see the remote, sorted.
	Roles []string `json:"roles,omitempty"`
	// Presets are the arguments each role's permission presets, by role.
	Presets map[string][]Preset `json:"presets,omitempty"`
	// Relationships are the tables' remote relationships to this remote
	// (relationship.go).
	Relationships []*Relationship `json:"relationships,omitempty"`
	// TypeRelationships are the relationships from the remote's types to
	// tables (relationship.go).
	TypeRelationships []*TypeRelationship `json:"type_relationships,omitempty"`
}

// Preset is an argument a role's permission sets (@preset): removed
// from the role's schema, added to each request to the remote.
type Preset struct {
	// Type and Field are the served names of the field; Arg the
	// argument's name and ArgType its type, as the remote names them.
	Type    string `json:"type"`
	Field   string `json:"field"`
	Arg     string `json:"arg"`
	ArgType string `json:"arg_type"`
	// Value is the GraphQL literal, or, when Session is set, unused: the
	// value is then the session variable Session's.
	Value   string `json:"value,omitempty"`
	Session string `json:"session,omitempty"`
}

// SchemasFile is where hasgen generate writes the project's remote
// schemas, in the schema directory.
const SchemasFile = "remote_schemas.jsonc"

// Remote is a remote schema a server calls: what it knows of it, and the
// client that calls it.
type Remote struct {
	*Schema
	Client *Client
	// original maps the served type names back to the remote's: the
	// inverse of Types.
	served map[string]string
	// typeRels indexes TypeRelationships by "type.field".
	typeRels map[string]*TypeRelationship
}

// TypeRel returns the relationship field of the served type typ to a
// table, or nil.
func (r *Remote) TypeRel(typ, field string) *TypeRelationship {
	return r.typeRels[typ+"."+field]
}

// HasTypeRels reports whether the remote's types have relationships to
// tables.
func (r *Remote) HasTypeRels() bool { return len(r.typeRels) > 0 }

// ServedType is the served name of the remote's type name.
func (r *Remote) ServedType(name string) string {
	if s, ok := r.served[name]; ok {
		return s
	}
	return name
}

// RemoteType is the remote's name of the served type name.
func (r *Remote) RemoteType(name string) string {
	if o, ok := r.Types[name]; ok {
		return o
	}
	return name
}

// Load reads the remote schemas of a project (SchemasFile in fsys: JSON
// after // comment lines; none when it does not exist) and makes their
// clients, reading their environment variables through getenv.
func Load(fsys fs.FS, getenv func(string) string) ([]*Remote, error) {
	if fsys == nil {
		return nil, nil
	}
	b, err := fs.ReadFile(fsys, SchemasFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for bytes.HasPrefix(b, []byte("//")) {
		_, b, _ = bytes.Cut(b, []byte("\n"))
	}
	var list []*Schema
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("schema/%s: %w", SchemasFile, err)
	}
	return NewRemotes(list, getenv)
}

// NewRemotes makes the clients of the remote schemas list.
func NewRemotes(list []*Schema, getenv func(string) string) ([]*Remote, error) {
	var out []*Remote
	for _, s := range list {
		c, err := NewClient(s.Name, &s.Definition, getenv)
		if err != nil {
			return nil, err
		}
		r := &Remote{Schema: s, Client: c, served: map[string]string{}, typeRels: map[string]*TypeRelationship{}}
		for _, tr := range s.TypeRelationships {
			r.typeRels[tr.Type+"."+tr.Name] = tr
		}
		for served, orig := range s.Types {
			r.served[orig] = served
		}
		out = append(out, r)
	}
	return out, nil
}
