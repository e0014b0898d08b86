package generate

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/pgtest"
)

// TestClientFiles generates the typed client of the example app for sets
// of operations: which roles an operation is valid for (named in its
// function's comment), and the errors, each at the file:line:col of the
// mistake, of one valid for no role.
func TestClientFiles(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t, "../example/schema.sql")
	o := Options{DatabaseURL: url, Config: "../example/hasgen.yaml", Out: t.TempDir(), Module: "server"}
	p, err := loadProject(ctx, &o)
	if err != nil {
		t.Fatal(err)
	}
	out, err := projectFiles(p, &o, "")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		files map[string]string
		// roles are the "Roles whose schema has it" line of each function,
		// by file; warnings and errs what clientFiles says.
		roles    map[string][]string
		warnings []string
		errs     []string
	}{
		{
			name: "roles of each operation",
			files: map[string]string{
				"users.graphql":    "# An unused variable is accepted, as Hasura does.\nquery Names($unused: Int) { users { name } }\n",
				"invoices.graphql": "query TaxIDs { invoices { tax_id } }\nquery Paid { invoices_aggregate { aggregate { count } } }\n",
				"stream.graphql":   "subscription Live { orders { status } }\n",
			},
			roles: map[string][]string{
				"client/users.go":    {"Roles whose schema has it: admin, agent, analyst, user."},
				"client/invoices.go": {"Roles whose schema has it: admin, analyst.", "Roles whose schema has it: admin, user."},
			},
			warnings: []string{"operations/stream.graphql:1:1: subscription Live has no function in client/: the typed client runs queries and mutations"},
		},
		{
			name: "invalid for every role",
			files: map[string]string{
				"a.graphql": "query Bad {\n  users { nope }\n}\nquery UsesFragment { channels { ...Wrong } }\n",
				"b.graphql": "fragment Wrong on channels {\n  id\n  title\n}\n",
				"c.graphql": "query Arg {\n  users(where: {nope: {_eq: 1}}) { id }\n}\nquery Var($x: String) {\n  users(limit: $x) { id }\n}\n",
			},
			errs: []string{
				`operations/c.graphql:2:9: operation Arg is not valid for any role: field 'nope' not found in type: 'users_bool_exp'`,
				`operations/a.graphql:2:11: operation Bad is not valid for any role: field 'nope' not found in type: 'users'`,
				`operations/b.graphql:3:3: operation UsesFragment is not valid for any role: field 'title' not found in type: 'channels'`,
				`operations/c.graphql:5:16: operation Var is not valid for any role: Variable "$x" of type "String" used in position expecting type "Int".`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, dirOperations), 0o755); err != nil {
				t.Fatal(err)
			}
			for name, text := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, dirOperations, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			files, warnings, err := clientFiles(p, "hasgen.yaml", dir, out.generated, []byte(customGraphQLS))
			if tt.errs != nil {
				if err == nil {
					t.Fatalf("no error; want %q", tt.errs)
				}
				if diff := cmp.Diff(tt.errs, strings.Split(err.Error(), "\n")); diff != "" {
					t.Fatalf("errors (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Deterministic: a second run gives the same bytes.
			again, _, err := clientFiles(p, "hasgen.yaml", dir, out.generated, []byte(customGraphQLS))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(files, again); diff != "" {
				t.Errorf("a second run differs (-first +second):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			got := map[string][]string{}
			var paths []string
			for path, b := range files {
				paths = append(paths, path)
				for _, line := range strings.Split(string(b), "\n") {
					if r, ok := strings.CutPrefix(line, "// Roles whose schema has it: "); ok {
						got[path] = append(got[path], "Roles whose schema has it: "+r)
					}
				}
			}
			sort.Strings(paths)
			for path := range got {
				sort.Strings(got[path])
			}
			if diff := cmp.Diff(tt.roles, got); diff != "" {
				t.Errorf("roles (-want +got):\n%s", diff)
			}
			if want := []string{"client/client.go", "client/invoices.go", "client/users.go"}; !cmp.Equal(want, paths) {
				t.Errorf("files %q, want %q", paths, want)
			}
		})
	}
}
