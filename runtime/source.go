package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// Source is how the project's metadata says to connect to its database:
// the source's connection_info, which hasgen generate writes to
// schema/source.jsonc. The environment and flags override each setting
// but the URL's variable: when the metadata names one (database_url:
// {from_env: VAR}), the URL is read from VAR, as Hasura reads it.
type Source struct {
	// DatabaseURLFromEnv names the variable that holds the database URL;
	// DatabaseURL is a URL written in the metadata itself.
	DatabaseURLFromEnv string `json:"database_url_from_env,omitempty"`
	DatabaseURL        string `json:"database_url,omitempty"`
	// IsolationLevel is read-committed, repeatable-read or serializable:
	// every transaction's default_transaction_isolation.
	IsolationLevel string `json:"isolation_level,omitempty"`
	// UsePreparedStatements false runs every statement without a named
	// prepared statement (for connection poolers in transaction mode).
	UsePreparedStatements *bool `json:"use_prepared_statements,omitempty"`
	// Pool settings: connections, and seconds.
	MaxConnections     int `json:"max_connections,omitempty"`
	IdleTimeout        int `json:"idle_timeout,omitempty"`
	ConnectionLifetime int `json:"connection_lifetime,omitempty"`
	// ReadReplicas are the source's read_replicas (replicas.go).
	ReadReplicas []ReplicaSource `json:"read_replicas,omitempty"`
	// TotalMaxConnections is the connection budget of every instance
	// together (Hasura Cloud's pool_settings.total_max_connections).
	TotalMaxConnections int `json:"total_max_connections,omitempty"`
	// Introspection is the metadata's graphql_schema_introspection: the
	// roles refused __schema and __type.
	Introspection *IntrospectionOptions `json:"graphql_schema_introspection,omitempty"`
	// QueryTags is the source's query_tags (querytags.go).
	QueryTags *QueryTagsOptions `json:"query_tags,omitempty"`
}

// ReplicaSource is one of the source's read_replicas: a connection_info
// of its own. Settings it leaves out are the primary's.
type ReplicaSource struct {
	DatabaseURLFromEnv    string `json:"database_url_from_env,omitempty"`
	DatabaseURL           string `json:"database_url,omitempty"`
	IsolationLevel        string `json:"isolation_level,omitempty"`
	UsePreparedStatements *bool  `json:"use_prepared_statements,omitempty"`
	MaxConnections        int    `json:"max_connections,omitempty"`
	IdleTimeout           int    `json:"idle_timeout,omitempty"`
	ConnectionLifetime    int    `json:"connection_lifetime,omitempty"`
}

// IntrospectionOptions are Hasura's graphql_schema_introspection options.
type IntrospectionOptions struct {
	DisabledForRoles []string `json:"disabled_for_roles"`
}

// projectSource reads schema/source.jsonc: JSON after // comment lines.
// A project generated before the file existed has none: zero settings.
func projectSource(p Project) (Source, error) {
	var src Source
	if p.Schemas == nil {
		return src, nil
	}
	b, err := fs.ReadFile(p.Schemas, "source.jsonc")
	if errors.Is(err, fs.ErrNotExist) {
		return src, nil
	}
	if err != nil {
		return src, err
	}
	for bytes.HasPrefix(b, []byte("//")) {
		_, b, _ = bytes.Cut(b, []byte("\n"))
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&src); err != nil {
		return src, fmt.Errorf("schema/source.jsonc: %w", err)
	}
	return src, nil
}

// isolation is the Postgres name of a Hasura isolation level.
func isolation(level string) (string, error) {
	switch level {
	case "", "read-committed":
		return "read committed", nil
	case "repeatable-read":
		return "repeatable read", nil
	case "serializable":
		return "serializable", nil
	}
	return "", fmt.Errorf("isolation level %q: want read-committed, repeatable-read or serializable", level)
}

// UnservedEnv returns the variables of environ ("NAME=value") that look
// like settings of Hasura (HASURA_GRAPHQL_*) or hasgen (HASGEN_*) but that
// the server does not read, sorted: a deployment's settings that would
// otherwise be ignored without a word. The variable the metadata names for
// the database URL is read.
func UnservedEnv(p Project, environ []string) []string {
	read := map[string]bool{}
	src, _ := projectSource(p)
	// The configuration asks for every variable it knows when none is set.
	configFrom(src, nil, func(name string) string {
		read[name] = true
		return ""
	})
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if (strings.HasPrefix(name, "HASURA_GRAPHQL_") || strings.HasPrefix(name, "HASGEN_")) && !read[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
