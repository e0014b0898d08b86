package templates_test

import (
	"go/format"
	"path/filepath"
	"testing"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/templates"
)

// TestPermTestsGolden renders Chinook's permission tests twice (same
// bytes, gofmt'd) and compares those of tables with filters through a
// column, through a relationship, and {}.
func TestPermTestsGolden(t *testing.T) {
	p := chinookProject(t)
	files, err := templates.PermTests(p, "hasgen.yaml", "server")
	if err != nil {
		t.Fatal(err)
	}
	again, err := templates.PermTests(p, "hasgen.yaml", "server")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
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
	for _, name := range []string{"main_test.go", "public_invoices_test.go", "public_invoice_lines_test.go", "public_albums_test.go"} {
		b, ok := files["permtest/"+name]
		if !ok {
			t.Fatalf("no permtest/%s among %d files", name, len(files))
		}
		golden.Compare(t, filepath.Join(golden.Dir(t), "permtest", "chinook", name+".txt"), b)
	}
}

// BenchmarkPermTests is the generator's cost of the permission tests of
// Chinook's roles (part of every hasgen generate).
func BenchmarkPermTests(b *testing.B) {
	p := chinookProject(b)
	for b.Loop() {
		if _, err := templates.PermTests(p, "hasgen.yaml", "server"); err != nil {
			b.Fatal(err)
		}
	}
}
