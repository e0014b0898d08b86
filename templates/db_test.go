package templates_test

import (
	"go/format"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/templates"
)

// chinookProject is graphql-bench's Chinook with the roles of the runtime
// tests' fixture.
func chinookProject(t testing.TB) *model.Project {
	t.Helper()
	dir := golden.Dir(t)
	s, err := introspect.LoadSnapshotFile(filepath.Join(dir, "introspect", "chinook_graphql_bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Load(filepath.Join(dir, "..", "fixtures", "chinook", "hasgen.yaml"), s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Build(s, md)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDBGolden(t *testing.T) {
	p := chinookProject(t)
	files, err := templates.DB(p, "hasgen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := templates.DB(p, "hasgen.yaml")
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b := files[name]
		if string(again[name]) != string(b) {
			t.Errorf("%s: two renderings differ", name)
		}
		formatted, err := format.Source(b)
		if err != nil {
			t.Fatalf("%s does not parse: %v", name, err)
		}
		if string(formatted) != string(b) {
			t.Errorf("%s is not gofmt'd", name)
		}
	}
	// A few files in full: a table with role filters through
	// relationships, one without permissions, and the index.
	for _, name := range []string{"db/public_invoice_lines.go", "db/public_actors.go", "db/db.go", "db/public_customers.go"} {
		golden.Compare(t, filepath.Join(golden.Dir(t), "db", "chinook", filepath.Base(name)+".txt"), files[name])
	}
}

// TestDBSharesIdenticalFilters: permissions of one table whose filters make
// the same writes share one function, whose comment lists them; different
// filters keep their own.
func TestDBSharesIdenticalFilters(t *testing.T) {
	s := &introspect.Schema{Version: introspect.SnapshotVersion, Schemas: []string{"public"}, Tables: []introspect.Table{{
		Schema: "public", Name: "notes", Kind: introspect.KindTable, Insertable: true, Updatable: true, Deletable: true,
		PrimaryKey: &introspect.Constraint{Name: "notes_pkey", Columns: []string{"id"}},
		Columns: []introspect.Column{
			{Name: "id", Position: 1, Type: introspect.Type{Schema: "pg_catalog", Name: "int4", Kind: introspect.TypeBase, SQL: "integer"}, NotNull: true, Insertable: true, Updatable: true},
			{Name: "owner_id", Position: 2, Type: introspect.Type{Schema: "pg_catalog", Name: "int4", Kind: introspect.TypeBase, SQL: "integer"}, NotNull: true, Insertable: true, Updatable: true},
		},
	}}}
	dir := t.TempDir()
	config := filepath.Join(dir, "hasgen.yaml")
	yaml := `- table: notes
  select_permissions:
    - role: alice
      permission: {columns: '*', filter: {owner_id: {_eq: X-Hasura-User-Id}}}
    - role: bob
      permission: {columns: '*', filter: {owner_id: {_eq: X-Hasura-User-Id}}}
    - role: carol
      permission: {columns: '*', filter: {owner_id: {_neq: X-Hasura-User-Id}}}
  delete_permissions:
    - role: alice
      permission: {filter: {owner_id: {_eq: X-Hasura-User-Id}}}
`
	if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Load(config, s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Build(s, md)
	if err != nil {
		t.Fatal(err)
	}
	files, err := templates.DB(p, "hasgen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := string(files["db/public_notes.go"])
	for _, want := range []string{
		"Filter:  notesSelectAlice,",
		"Role: \"bob\",\n\t\t\tSelect: &catalog.SelectPermission{\n\t\t\t\tColumns: []string{\"id\", \"owner_id\"},\n\t\t\t\tFilter:  notesSelectAlice,",
		"Filter:  notesSelectCarol,",
		"Delete: &catalog.DeletePermission{\n\t\t\t\tFilter: notesSelectAlice,",
		"// It is also:\n//   - role \"bob\"'s select filter (hasgen.yaml:6:54)\n//   - role \"alice\"'s delete filter (hasgen.yaml:11:40)\nfunc notesSelectAlice(",
		"func notesSelectCarol(",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("db/public_notes.go lacks %q:\n%s", want, got)
		}
	}
	for _, gone := range []string{"func notesSelectBob(", "func notesDeleteFilterAlice("} {
		if strings.Contains(got, gone) {
			t.Errorf("db/public_notes.go has %q: an identical filter was written twice", gone)
		}
	}
}
