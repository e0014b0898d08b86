package metadata

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// unsupportedOf returns Metadata.Unsupported as "file:line:col: message".
func unsupportedOf(t *testing.T, files ...string) []string {
	t.Helper()
	m, err := loadString(t, files...)
	if err != nil {
		t.Fatalf("unexpected errors:\n%v", err)
	}
	var out []string
	for _, e := range m.Unsupported {
		out = append(out, e.Error())
	}
	return out
}

// TestUnsupportedTableKeys: every table key hasgen does not serve is
// reported where it is written, one line per item; empty ones are not.
func TestUnsupportedTableKeys(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"nothing", "- table: orgs\n  event_triggers: []\n  remote_relationships: null\n", nil},
		{"event triggers", "- table: orgs\n  event_triggers:\n    - name: a\n      webhook: http://x\n      definition: {insert: {columns: '*'}}\n      trigger_on_replication: false\n    - name: b\n      webhook: http://y\n      definition: {delete: {columns: '*'}}\n      response_transform: {version: 2}\n      trigger_on_replication: true\n",
			[]string{`t.yaml:10:7: table public.orgs: event trigger "b": response_transform is not supported by hasgen`,
				`t.yaml:11:7: table public.orgs: event trigger "b": trigger_on_replication (true: firing on writes a logical replication applies) is not supported by hasgen`}},
		{"remote relationship to a database", "- table: orgs\n  remote_relationships:\n    - name: r\n      definition: {to_source: {source: other, table: orgs, relationship_type: object, field_mapping: {id: id}}}\n",
			[]string{`t.yaml:4:20: table public.orgs remote relationship "r": to_source (a relationship to another database) is not supported by hasgen`}},
		{"apollo federation", "- table: orgs\n  apollo_federation_config: {enable: v1}\n",
			[]string{`t.yaml:2:3: table public.orgs: apollo_federation_config is not supported by hasgen`}},
		{"validate_input", "- table: orgs\n  insert_permissions:\n    - role: user\n      permission:\n        check: {}\n        columns: [name]\n        validate_input: {type: http, definition: {url: http://v}}\n",
			[]string{`t.yaml:7:9: insert permission for role "user": validate_input is not supported by hasgen`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := unsupportedOf(t, "t.yaml", c.yaml)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnsupportedProjectFiles: the files of a metadata directory beside
// databases/ are read; what they say is reported, empty files are not.
func TestUnsupportedProjectFiles(t *testing.T) {
	databases := "- name: default\n  kind: postgres\n  tables: [{table: orgs}]\n"
	empty := []string{
		"metadata/actions.yaml", "actions: []\ncustom_types:\n  enums: []\n  input_objects: []\n  objects: []\n  scalars: []\n",
		"metadata/actions.graphql", "# nothing\n\n",
		"metadata/allow_list.yaml", "[]\n",
		"metadata/backend_configs.yaml", "dataconnector: {}\n",
		"metadata/cron_triggers.yaml", "[]\n",
		"metadata/graphql_schema_introspection.yaml", "disabled_for_roles: []\n",
		"metadata/inherited_roles.yaml", "[]\n",
		"metadata/network.yaml", "{}\n",
		"metadata/query_collections.yaml", "[]\n",
		"metadata/remote_schemas.yaml", "[]\n",
		"metadata/rest_endpoints.yaml", "[]\n",
	}
	got := unsupportedOf(t, append([]string{"metadata/databases/databases.yaml", databases}, empty...)...)
	if len(got) != 0 {
		t.Errorf("empty files reported: %q", got)
	}

	full := []string{
		"metadata/databases/databases.yaml", databases,
		"metadata/actions.yaml", "actions:\n  - name: login\n    definition: {kind: asynchronous, handler: http://a, response_transform: {version: 2, body: {action: remove}}}\ncustom_types:\n  objects:\n    - name: Token\n      relationships: [{name: user, type: object, remote_table: orgs, field_mapping: {id: id}}]\n",
		"metadata/actions.graphql", "type Mutation { login(u: String!): Token }\ntype Token { id: Int }\n",
		"metadata/cron_triggers.yaml", "- name: nightly\n  webhook: http://n\n  schedule: '0 0 * * *'\n  response_transform: {version: 2, body: {action: remove}}\n",
		"metadata/network.yaml", "tls_allowlist: [{host: x}]\n",
		"metadata/remote_schemas.yaml", "- name: countries\n  definition: {url: http://c}\n  remote_relationships: [{type_name: T, relationships: [{name: r, definition: {to_remote_schema: {remote_schema: x}}}]}]\n",
	}
	want := []string{
		`metadata/cron_triggers.yaml:4:3: cron trigger "nightly": response_transform is not supported by hasgen`,
		`metadata/network.yaml:1:1: network.tls_allowlist is not supported by hasgen`,
		`metadata/remote_schemas.yaml:3:80: remote schema "countries": type T relationship "r": to_remote_schema (a relationship from a remote schema to a remote schema) is not supported by hasgen`,
	}
	if diff := cmp.Diff(want, unsupportedOf(t, full...)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestExport reads Hasura's metadata export (JSON) in versions 2 and 3,
// with the same reports as the directory.
func TestExport(t *testing.T) {
	v3 := `{
  "version": 3,
  "sources": [
    {
      "name": "default",
      "kind": "postgres",
      "tables": [
        {"table": {"schema": "public", "name": "orgs"}, "select_permissions": [{"role": "a", "permission": {"columns": ["id"], "filter": {}}}, {"role": "b", "permission": {"columns": ["id", "name"], "filter": {"id": {"_eq": 1}}}}]},
        {"table": {"schema": "public", "name": "authors"},
         "object_relationships": [{"name": "org", "using": {"manual_configuration": {
            "remote_table": {"schema": "public", "name": "orgs"},
            "insertion_order": null,
            "column_mapping": {"org_id": "id"}}}}]}
      ],
      "functions": [{"function": {"schema": "public", "name": "one_org"}}],
      "configuration": {"connection_info": {
        "database_url": {"from_env": "PG_URL"},
        "isolation_level": "repeatable-read",
        "use_prepared_statements": false,
        "pool_settings": {"max_connections": 20, "idle_timeout": 30, "connection_lifetime": 300, "total_max_connections": 100}
      },
      "read_replicas": [
        {"database_url": {"from_env": "REPLICA_URL"}, "pool_settings": {"max_connections": 5}, "use_prepared_statements": true},
        {"database_url": "postgres://replica-2/db", "isolation_level": "serializable"}
      ]}
    }
  ],
  "inherited_roles": [{"role_name": "editor", "role_set": ["a", "b"]}],
  "api_limits": {"depth_limit": {"global": 4}}
}
`
	m, err := loadString(t, "metadata.json", v3)
	if err != nil {
		t.Fatalf("v3: %v", err)
	}
	if len(m.Tables) != 2 || m.Source != "default" {
		t.Errorf("v3: source %q, %d tables", m.Source, len(m.Tables))
	}
	if len(m.Functions) != 1 || m.Functions[0].Name != "one_org" {
		t.Errorf("v3: functions %+v", m.Functions)
	}
	if m.APILimits == nil || m.APILimits.DepthLimit == nil || *m.APILimits.DepthLimit.Global != 4 {
		t.Errorf("v3: api_limits %+v", m.APILimits)
	}
	c := m.Connection
	if c == nil || c.URLFromEnv != "PG_URL" || c.IsolationLevel != "repeatable-read" || c.UsePreparedStatements == nil || *c.UsePreparedStatements ||
		c.MaxConnections != 20 || c.IdleTimeout != 30 || c.ConnectionLifetime != 300 || c.TotalMaxConnections != 100 {
		t.Errorf("v3: connection %+v", c)
	}
	if c != nil && (len(c.ReadReplicas) != 2 || c.ReadReplicas[0].URLFromEnv != "REPLICA_URL" || c.ReadReplicas[0].MaxConnections != 5 ||
		c.ReadReplicas[0].UsePreparedStatements == nil || !*c.ReadReplicas[0].UsePreparedStatements ||
		c.ReadReplicas[1].URL != "postgres://replica-2/db" || c.ReadReplicas[1].IsolationLevel != "serializable") {
		t.Errorf("v3: read_replicas %+v", c.ReadReplicas)
	}
	var got []string
	for _, e := range m.Unsupported {
		got = append(got, e.Error())
	}
	// total_max_connections is served (runtime/budget).
	var want []string
	// inherited_roles is served: editor gets the union of a and b.
	if sp := m.Table("public", "orgs").SelectPermission("editor"); sp == nil || len(sp.Columns) != 2 || sp.ColumnFilters["name"] == nil {
		t.Errorf("v3: editor's select permission %+v", sp)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("v3 unsupported (-want +got):\n%s", diff)
	}

	v2 := `{"version": 2, "tables": [{"table": "orgs", "select_permissions": [{"role": "user", "permission": {"columns": ["id"], "filter": {}}}]}],
 "functions": [{"schema": "public", "name": "one_org"}], "remote_schemas": [], "query_collections": [], "allowlist": [], "actions": [], "custom_types": {}, "cron_triggers": []}`
	m, err = loadString(t, "metadata.json", v2)
	if err != nil {
		t.Fatalf("v2: %v", err)
	}
	if len(m.Tables) != 1 || len(m.Tables[0].SelectPermissions) != 1 || len(m.Unsupported) != 0 {
		t.Errorf("v2: %d tables, unsupported %v", len(m.Tables), m.Unsupported)
	}
	// Version 1's function entries name the function itself.
	if len(m.Functions) != 1 || m.Functions[0].Name != "one_org" {
		t.Errorf("v2: functions %+v", m.Functions)
	}

	for _, bad := range []struct{ src, want string }{
		{`{"version": 3, "tables": []}`, "metadata.json:1:16: metadata: tables belongs in a source in version 3 metadata"},
		{`{"version": 2, "sources": []}`, "metadata.json:1:16: metadata: sources is a key of version 3 metadata, and this is version 2"},
		{`{"version": 7, "tables": []}`, "metadata.json:1:13: metadata: version must be 1, 2 or 3, not 7"},
		{`{"version": 3, "sources": [], "triggers": []}`, `metadata.json:1:31: metadata: unknown key "triggers"`},
	} {
		_, err := loadString(t, "metadata.json", bad.src)
		if err == nil || err.Error() != bad.want {
			t.Errorf("%s: error %v, want %s", bad.src, err, bad.want)
		}
	}
}

// TestSchemas: the schemas to introspect come from the metadata.
func TestSchemas(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"databases/databases.yaml":         "- name: default\n  tables: \"!include default/tables.yaml\"\n",
		"databases/default/tables.yaml":    "- table: {schema: shop, name: orders}\n- table: orgs\n- \"!include billing.yaml\"\n",
		"databases/default/billing.yaml":   "table: {schema: billing, name: invoices}\n",
		"databases/default/unrelated.yaml": "table: {schema: nope, name: x}\n",
	})
	if got, want := Schemas(dir), []string{"billing", "public", "shop"}; !cmp.Equal(got, want) {
		t.Errorf("Schemas = %q, want %q", got, want)
	}
	if got := Schemas(filepath.Join(dir, "missing")); got != nil {
		t.Errorf("Schemas of a missing file = %q", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("- table: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Schemas(filepath.Join(dir, "bad.yaml")); len(got) != 0 {
		t.Errorf("Schemas of a bad file = %q", got)
	}
}
