package e2e

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryPackageCleansUp: the directories tempDir makes (built servers,
// /tmp/hasgen-e2e-*, /tmp/hasgen-bin-*) and pgtest's throwaway cluster are
// removed by pgtest.Main, so every package whose tests use pgtest or e2e
// must run its tests through it; otherwise each `go test ./...` leaves
// them behind.
func TestEveryPackageCleansUp(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	type pkg struct{ uses, main bool }
	pkgs := map[string]*pkg{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		p := pkgs[dir]
		if p == nil {
			p = &pkg{}
			pkgs[dir] = p
		}
		for _, imp := range f.Imports {
			switch strings.Trim(imp.Path.Value, `"`) {
			case "github.com/hasgen/hasgen/pgtest", "github.com/hasgen/hasgen/internal/e2e":
				p.uses = true
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			fn, ok := n.(*ast.FuncDecl)
			if !ok || fn.Name.Name != "TestMain" || fn.Recv != nil {
				return true
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Main" {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == "pgtest" {
						p.main = true
					}
				}
				return true
			})
			return false
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for dir, p := range pkgs {
		if dir == "pgtest" || dir == filepath.Join("internal", "e2e") {
			continue // pgtest's own tests; this test builds nothing
		}
		if p.uses {
			checked++
			if !p.main {
				t.Errorf("%s: its tests use pgtest or e2e but have no TestMain calling pgtest.Main: they leave /tmp/hasgen-* behind", dir)
			}
		}
	}
	if checked < 5 {
		t.Errorf("only %d packages use pgtest or e2e: the scan is broken", checked)
	}
}
