package model

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hasgen/hasgen/metadata"
)

// TestActionTables: a Go-only action's output names a tracked table's
// type, found under its GraphQL name (a schema prefix, a custom name); a
// type that is no table's is reported at the action's field.
func TestActionTables(t *testing.T) {
	s := enumTestSchema(t, nil)
	const tables = "- name: default\n  kind: postgres\n  tables:\n    - table: {schema: public, name: users}\n    - table: {schema: support, name: tickets}\n      configuration: {custom_name: issue}\n"
	tests := []struct {
		output, table, problem string
	}{
		{output: "users", table: "public.users"},
		{output: "[issue!]!", table: "support.tickets"},
		{output: "support_tickets", problem: `metadata/actions.graphql:2:3: action "a": output: type "support_tickets" is neither a custom type nor a tracked table's type`},
	}
	for _, tt := range tests {
		t.Run(tt.output, func(t *testing.T) {
			md, err := metadata.LoadFS(fstest.MapFS{
				"metadata/databases/databases.yaml": {Data: []byte(tables)},
				"metadata/actions.graphql":          {Data: []byte("type Query {\n  a: " + tt.output + "\n}\n")},
				"metadata/actions.yaml":             {Data: []byte("actions: [{name: a, definition: {handler: go}}]\n")},
			}, "metadata/databases/databases.yaml", s)
			if err != nil {
				t.Fatalf("metadata: %v", err)
			}
			p, err := Build(s, md)
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("got %v, want %s", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.ActionTable(md.Actions[0]); got == nil || got.Qualified() != tt.table {
				t.Errorf("table %v, want %s", got, tt.table)
			}
		})
	}
}
