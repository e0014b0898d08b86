package runtime

import (
	"fmt"

	"github.com/hasgen/hasgen/runtime/catalog"
)

// The names of a generated server are compiled in when hasgen generates it
// (with the source's naming_convention, or the
// HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION hasgen generate saw). The
// server reads the variable as Hasura does, refuses a value Hasura
// refuses, and warns when it names another convention than the one its
// schema has: regenerating is what changes the names.

// checkNaming validates HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION's value.
func checkNaming(v string) error {
	switch v {
	case "", catalog.HasuraDefault, catalog.GraphQLDefault:
		return nil
	}
	return fmt.Errorf("HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION: naming_convention can either be %q or %q, not %q",
		catalog.HasuraDefault, catalog.GraphQLDefault, v)
}

// NamingWarning returns what to warn about when the configured default
// naming convention is not the one the project's names were generated
// with, or "" when it is (or is not set).
func NamingWarning(p Project, cfg Config) string {
	if cfg.DefaultNamingConvention == "" {
		return ""
	}
	have := catalog.HasuraDefault
	if len(p.Tables) > 0 && p.Tables[0].Naming != "" {
		have = p.Tables[0].Naming
	}
	if have == cfg.DefaultNamingConvention {
		return ""
	}
	return fmt.Sprintf("HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION is %s but this server's schema was generated with %s: names are compiled by hasgen generate, which reads the variable; regenerate to change them",
		cfg.DefaultNamingConvention, have)
}
