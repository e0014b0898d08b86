package remote

import (
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
