package metadata

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIntrospectionOptions: graphql_schema_introspection's
// disabled_for_roles is read from a metadata directory and from an export,
// sorted and unique, and no longer reported as unsupported.
func TestIntrospectionOptions(t *testing.T) {
	databases := "- name: default\n  kind: postgres\n  tables: [{table: orgs}]\n"
	export := `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [{"table": {"schema": "public", "name": "orgs"}}]}],
  "graphql_schema_introspection": {"disabled_for_roles": ["user", "anonymous"]}}`
	tests := []struct {
		name    string
		files   []string
		want    []string
		wantErr string
	}{
		{"directory", []string{"metadata/databases/databases.yaml", databases,
			"metadata/graphql_schema_introspection.yaml", "disabled_for_roles: [user, anonymous, user]\n"}, []string{"anonymous", "user"}, ""},
		{"empty", []string{"metadata/databases/databases.yaml", databases,
			"metadata/graphql_schema_introspection.yaml", "disabled_for_roles: []\n"}, nil, ""},
		{"export", []string{"metadata.json", export}, []string{"anonymous", "user"}, ""},
		{"unknown key", []string{"metadata/databases/databases.yaml", databases,
			"metadata/graphql_schema_introspection.yaml", "disabled_for: [user]\n"}, nil, "graphql_schema_introspection.disabled_for is not a key"},
		{"not a list", []string{"metadata/databases/databases.yaml", databases,
			"metadata/graphql_schema_introspection.yaml", "disabled_for_roles: user\n"}, nil, "disabled_for_roles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := loadString(t, tt.files...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if diff := cmp.Diff(tt.want, m.IntrospectionDisabledForRoles); diff != "" {
				t.Errorf("disabled_for_roles (-want +got):\n%s", diff)
			}
			for _, e := range m.Unsupported {
				if strings.Contains(e.Msg, "graphql_schema_introspection") {
					t.Errorf("still reported: %s", e)
				}
			}
		})
	}
}
