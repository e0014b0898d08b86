package metadata

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeListsUnsupported keeps the README's feature table true: a
// metadata that sets every key hasgen reports is loaded, and each key
// reported must be on a row of the table marked "reported".
func TestReadmeListsUnsupported(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var reportedRows []string
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "|") && strings.Contains(line, "| reported") {
			reportedRows = append(reportedRows, line)
		}
	}
	if len(reportedRows) == 0 {
		t.Fatal("README has no row marked reported")
	}
	databases := `- name: default
  kind: postgres
  configuration:
    connection_info:
      database_url: {from_env: X, connection_parameters: {}, dynamic_from_file: f}
      ssl_configuration: {sslmode: verify-full}
      pool_settings: {retries: 1, pool_timeout: 360, total_max_connections: 100}
    read_replicas: [{database_url: {from_env: R}}]
    connection_template: {template: x}
    connection_set: [{name: a}]
    extensions_schema: ext
  customization: {root_fields: {namespace: ns}, type_names: {prefix: p_}, naming_convention: graphql-default}
  health_check: {test: {sql: SELECT 1}}
  logical_models: [{name: m}]
  native_queries: [{root_field_name: q}]
  stored_procedures: [{stored_procedure: p}]
  tables:
    - table: orgs
      event_triggers: [{name: e, webhook: http://e, definition: {enable_manual: true}, response_transform: {version: 2}, trigger_on_replication: true}]
      remote_relationships: [{name: r, definition: {to_source: {source: other}}}]
      apollo_federation_config: {enable: v1}
      insert_permissions:
        - role: user
          permission: {check: {}, columns: [name], validate_input: {type: http, definition: {url: http://v}}}
- name: other
  kind: postgres
  tables: []
`
	files := []string{"metadata/databases/databases.yaml", databases}
	for _, f := range []struct{ name, body string }{
		{"actions.yaml", "actions: [{name: a, definition: {handler: http://a}}, {name: b, definition: {handler: http://b}}]\ncustom_types: {objects: [{name: O}, {name: P, relationships: [{name: r, type: object, remote_table: orgs, field_mapping: {id: id}}]}]}\n"},
		{"actions.graphql", "type Query { a: O b: Int }\ntype O { id: Int p: P }\ntype P { id: Int }\n"},
		{"api_limits.yaml", "rate_limit: {global: {max_reqs_per_min: 1}}\n"},
		{"backend_configs.yaml", "dataconnector: {x: {uri: http://d}}\n"},
		{"cron_triggers.yaml", "- {name: c, webhook: http://c, schedule: '* * * * *', response_transform: {version: 2}}\n"},
		{"graphql_schema_introspection.yaml", "disabled_for_roles: [user]\n"},
		{"metrics_config.yaml", "analyze_query_variables: true\n"},
		{"network.yaml", "tls_allowlist: [{host: h}]\n"},
		{"opentelemetry.yaml", "status: enabled\n"},
		{"remote_schemas.yaml", "- name: r\n  definition: {url: http://r}\n  remote_relationships: [{type_name: T, relationships: [{name: rr, definition: {to_remote_schema: {remote_schema: x}}}]}]\n"},
		{"rest_endpoints.yaml", "- name: e\n"},
	} {
		files = append(files, "metadata/"+f.name, f.body)
	}
	m, err := loadString(t, files...)
	if err != nil {
		t.Fatalf("the metadata does not load: %v", err)
	}
	key := regexp.MustCompile(`(?:^|: )([A-Za-z_.]+)(?: "[^"]*")?(?: \([^)]*\))? is not supported by hasgen`)
	seen := map[string]bool{}
	for _, e := range m.Unsupported {
		k := "a second database source"
		if !strings.HasPrefix(e.Msg, "database source \"other\"") {
			mm := key.FindStringSubmatch(e.Msg)
			if mm == nil {
				t.Errorf("cannot tell the key of %q", e.Msg)
				continue
			}
			k = mm[1]
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		prefix, _, _ := strings.Cut(k, ".")
		found := false
		for _, row := range reportedRows {
			if strings.Contains(row, "`"+k+"`") || strings.Contains(row, "`"+prefix+"`") || strings.Contains(row, k) && strings.Contains(k, " ") {
				found = true
			}
		}
		if !found {
			t.Errorf("README's feature table has no reported row for %s (%s)", k, e)
		}
	}
	if len(seen) < 20 {
		t.Errorf("only %d keys reported: %v", len(seen), seen)
	}
}
