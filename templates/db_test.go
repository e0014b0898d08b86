package templates_test

import (
	"go/format"
	"path/filepath"
	"sort"
	"testing"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/templates"
)

// chinookProject is graphql-bench's Chinook with the roles of the runtime
// tests' fixture.
func chinookProject(t *testing.T) *model.Project {
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
