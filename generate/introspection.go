package generate

import "github.com/hasgen/hasgen/metadata"

// sourceSettings is what schema/source.jsonc holds: the source's
// connection settings and the metadata's graphql_schema_introspection, in
// the form runtime.Source reads. nil when the metadata says neither.
func sourceSettings(m *metadata.Metadata) *sourceJSON {
	if m.Connection == nil && len(m.IntrospectionDisabledForRoles) == 0 && m.QueryTags == nil {
		return nil
	}
	s := &sourceJSON{Connection: m.Connection, QueryTags: m.QueryTags}
	if len(m.IntrospectionDisabledForRoles) > 0 {
		s.Introspection = &introspectionJSON{DisabledForRoles: m.IntrospectionDisabledForRoles}
	}
	return s
}

// sourceJSON is schema/source.jsonc (runtime.Source).
type sourceJSON struct {
	*metadata.Connection
	Introspection *introspectionJSON `json:"graphql_schema_introspection,omitempty"`
	// QueryTags is the source's query_tags (runtime.QueryTagsOptions).
	QueryTags *metadata.QueryTags `json:"query_tags,omitempty"`
}

// introspectionJSON is Hasura's graphql_schema_introspection
// (runtime.IntrospectionOptions).
type introspectionJSON struct {
	DisabledForRoles []string `json:"disabled_for_roles"`
}
