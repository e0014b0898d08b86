package metadata

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCustomization reads a source's customization from databases.yaml
// and reports bad values where they are written.
func TestCustomization(t *testing.T) {
	const head = "- name: default\n  kind: postgres\n  tables: [{table: orgs}]\n"
	cases := []struct {
		name, yaml string
		want       *Customization
		errs       []string
	}{
		{"none", "", nil, nil},
		{"null", "  customization: null\n", nil, nil},
		{"all", "  customization:\n    naming_convention: graphql-default\n    root_fields: {namespace: shop, prefix: my_, suffix: _v1}\n    type_names: {prefix: T_, suffix: _x}\n",
			&Customization{NamingConvention: GraphQLDefault, RootNamespace: "shop", RootPrefix: "my_", RootSuffix: "_v1", TypePrefix: "T_", TypeSuffix: "_x"}, nil},
		{"hasura-default", "  customization:\n    naming_convention: hasura-default\n", &Customization{NamingConvention: HasuraDefault}, nil},
		{"bad convention", "  customization:\n    naming_convention: camelCase\n", nil,
			[]string{`d.yaml:5:24: database source "default" customization: naming_convention can either be "hasura-default" or "graphql-default", not "camelCase"`}},
		{"bad name", "  customization:\n    root_fields: {prefix: my-}\n", nil,
			[]string{`d.yaml:5:27: database source "default" customization: root_fields.prefix: "my-" is not a valid GraphQL name`}},
		{"unknown key", "  customization:\n    type_names: {namespace: x}\n", nil,
			[]string{`d.yaml:5:18: database source "default" customization: unknown key "namespace" in type_names`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := loadString(t, "d.yaml", head+c.yaml)
			if len(c.errs) > 0 {
				if err == nil {
					t.Fatalf("no error, want %q", c.errs)
				}
				got := strings.Split(strings.TrimSpace(err.Error()), "\n")
				if diff := cmp.Diff(c.errs, got); diff != "" {
					t.Errorf("errors (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Unsupported) > 0 {
				t.Errorf("customization reported as unsupported: %v", m.Unsupported)
			}
			got := m.Customization
			if got != nil {
				got.Pos = Pos{}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestCustomizationExport: a v3 metadata export's source customization is
// read as databases.yaml's.
func TestCustomizationExport(t *testing.T) {
	const export = `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [{"table": {"schema": "public", "name": "orgs"}}],
  "configuration": {"connection_info": {"database_url": {"from_env": "PG_URL"}}},
  "customization": {"naming_convention": "graphql-default", "root_fields": {"namespace": "app"}}}]}`
	m, err := loadString(t, "metadata.json", export)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Customization
	if c == nil || c.NamingConvention != GraphQLDefault || c.RootNamespace != "app" {
		t.Errorf("customization %+v", c)
	}
}
