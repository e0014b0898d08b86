package runtime

import (
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/catalog"
)

// TestNamingEnv: the server refuses a naming convention Hasura refuses and
// warns when the variable names another one than its schema's.
func TestNamingEnv(t *testing.T) {
	env := func(v string) func(string) string {
		return func(name string) string {
			switch name {
			case "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION":
				return v
			case "HASURA_GRAPHQL_DATABASE_URL":
				return "postgres://localhost/x"
			}
			return ""
		}
	}
	if _, err := ConfigFromEnv(nil, env("camelCase")); err == nil || !strings.Contains(err.Error(), "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION") {
		t.Errorf("bad value accepted: %v", err)
	}
	gql := Project{Tables: []*catalog.Table{{Schema: "public", Name: "a", Naming: catalog.GraphQLDefault}}}
	hasura := Project{Tables: []*catalog.Table{{Schema: "public", Name: "a"}}}
	tests := []struct {
		p     Project
		v     string
		warns bool
	}{
		{gql, "", false},
		{gql, catalog.GraphQLDefault, false},
		{gql, catalog.HasuraDefault, true},
		{hasura, catalog.HasuraDefault, false},
		{hasura, catalog.GraphQLDefault, true},
	}
	for _, tt := range tests {
		cfg, err := ConfigFromEnv(nil, env(tt.v))
		if err != nil {
			t.Fatal(err)
		}
		if got := NamingWarning(tt.p, cfg) != ""; got != tt.warns {
			t.Errorf("schema %q, variable %q: warns %v, want %v", tt.p.Tables[0].Naming, tt.v, got, tt.warns)
		}
	}
	if got := UnservedEnv(gql, []string{"HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION=graphql-default"}); len(got) != 0 {
		t.Errorf("reported as not read: %v", got)
	}
}
