package generate

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen"
	_ "github.com/hasgen/hasgen/internal/golden" // defines -update
	"golang.org/x/mod/modfile"
)

// chinookSnapshot is graphql-bench's Chinook, introspected.
const chinookSnapshot = "../testdata/golden/introspect/chinook_graphql_bench.json"

// repoRoot is the hasgen checkout the emitted projects replace hasgen with.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// project is a test project: a permissions file at a fixed path (so that
// the source: headers stay the same when its content changes) and an
// output directory beside it.
type project struct {
	t      *testing.T
	config string
	out    string
}

func newProject(t *testing.T, config string) *project {
	t.Helper()
	dir := t.TempDir()
	p := &project{t: t, config: filepath.Join(dir, "hasgen.yaml"), out: filepath.Join(dir, "server")}
	p.setConfig(config)
	return p
}

// chinook returns testdata/chinook.yaml, edited by the old → new pairs.
func chinook(t *testing.T, edits ...string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/chinook.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("chinook.yaml has no %q", edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	return s
}

func (p *project) setConfig(content string) {
	p.t.Helper()
	if err := os.WriteFile(p.config, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *project) options() Options {
	return Options{Snapshot: chinookSnapshot, Config: p.config, Out: p.out, RuntimeReplace: repoRoot(p.t)}
}

func (p *project) generate() *Result {
	p.t.Helper()
	res, err := Generate(context.Background(), p.options())
	if err != nil {
		p.t.Fatalf("generate: %v", err)
	}
	return res
}

func (p *project) check() string {
	p.t.Helper()
	diff, err := Check(context.Background(), p.options())
	if err != nil {
		p.t.Fatalf("check: %v", err)
	}
	return diff
}

func (p *project) read(rel string) string {
	p.t.Helper()
	b, err := os.ReadFile(filepath.Join(p.out, filepath.FromSlash(rel)))
	if err != nil {
		p.t.Fatal(err)
	}
	return string(b)
}

func (p *project) write(rel, content string) {
	p.t.Helper()
	writeTree(p.t, p.out, map[string]string{rel: content})
}

func (p *project) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(p.out, filepath.FromSlash(rel)))
	return err == nil
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := newProject(t, chinook(t))
	// Another directory beside the first: the config is at the same
	// relative path from both, as generated headers name it.
	b := &project{t: t, config: a.config, out: a.out + "-elsewhere"}
	res := a.generate()
	b.generate()
	want := []string{"Dockerfile", "actions/handlers.go", "events/handlers.go", "graph/custom.graphqls", "graph/resolver.go", "main.go"}
	if diff := cmp.Diff(want, res.Created); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	if !res.Gqlgen || res.Sqlc {
		t.Errorf("gqlgen ran %v, sqlc ran %v; want true, false", res.Gqlgen, res.Sqlc)
	}
	for _, rel := range []string{"graph/generated.go", "graph/custom.resolvers.go", "db/db.go", "db/public_albums.go", "schema/roles/guest.graphqls"} {
		if !a.exists(rel) {
			t.Errorf("%s was not generated", rel)
		}
	}
	treeA, treeB := readTree(t, a.out), readTree(t, b.out)
	if diff := cmp.Diff(treeA, treeB); diff != "" {
		t.Errorf("two generations into two directories differ (-a +b):\n%s", diff)
	}

	// Again over the same directory: nothing to do, gqlgen skipped.
	res = a.generate()
	if len(res.Written)+len(res.Created)+len(res.Deleted) > 0 || res.Gqlgen {
		t.Errorf("regenerating changed things: %+v", res)
	}
	if diff := cmp.Diff(treeA, readTree(t, a.out)); diff != "" {
		t.Errorf("regenerating changed the tree (-before +after):\n%s", diff)
	}
}

func TestGeneratedFilesAreMarked(t *testing.T) {
	p := newProject(t, chinook(t))
	p.generate()
	goGenerated := regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.\n`)
	for rel, content := range readTree(t, p.out) {
		switch rel {
		case "main.go", "events/handlers.go", "actions/handlers.go", "graph/resolver.go", "graph/custom.graphqls", "Dockerfile":
			if isGenerated([]byte(content)) {
				t.Errorf("%s is the user's but carries the generated header", rel)
			}
		case "go.sum", "graph/custom.resolvers.go":
			// No comments in go.sum; gqlgen's rewriter owns the resolvers.
		case "graph/generated.go", "graph/models_gen.go":
			if !goGenerated.MatchString(content) {
				t.Errorf("%s does not start with a generated-code header", rel)
			}
		default:
			lines := strings.SplitN(content, "\n", 3)
			marker, _, _ := strings.Cut(lines[0], " ")
			src, _ := filepath.Rel(p.out, p.config)
			if !isGenerated([]byte(content)) || len(lines) < 2 || lines[1] != marker+" source: "+filepath.ToSlash(src) {
				t.Errorf("%s does not start with hasgen's header and a source line:\n%.200s", rel, content)
			}
			if strings.HasSuffix(rel, ".go") && !goGenerated.MatchString(content) {
				t.Errorf("%s: header does not match Go's generated-code pattern", rel)
			}
		}
	}
}

func TestRegenerateKeepsUserFilesDeletesStale(t *testing.T) {
	p := newProject(t, chinook(t))
	p.generate()

	mainGo := p.read("main.go") + "\n// edited\n"
	p.write("main.go", mainGo)
	dockerfile := p.read("Dockerfile") + "\n# edited\n"
	p.write("Dockerfile", dockerfile)
	custom := p.read("graph/custom.graphqls") + "\nextend type query_root {\n  version: String!\n}\n"
	p.write("graph/custom.graphqls", custom)
	p.write("db/extra.go", "package db\n\n// Extra is the user's own file in a generated folder.\nconst Extra = 1\n")
	p.write("db/old.go", "// Code generated by hasgen. DO NOT EDIT.\n// source: hasgen.yaml\n\npackage db\n")

	// Untrack genres (and tracks' relationship to it), drop role guest.
	p.setConfig(chinook(t,
		"    - role: guest\n      permission:\n        columns: [name]\n        filter: {}\n        limit: 10\n", "",
		"    - name: genre\n      using: {foreign_key_constraint_on: genre_id}\n", "",
		"\n- table: {schema: public, name: genres}\n  select_permissions:\n    - role: user\n      permission:\n        columns: [id, name]\n        filter: {}\n", ""))
	res := p.generate()

	if diff := cmp.Diff([]string{"db/old.go", "db/public_genres.go", "permtest/public_genres_test.go", "schema/relay/roles/guest.graphqls", "schema/roles/guest.graphqls"}, res.Deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	if len(res.Created) > 0 {
		t.Errorf("created %v, want nothing", res.Created)
	}
	if !res.Gqlgen {
		t.Error("gqlgen did not run after custom.graphqls changed")
	}
	if got := p.read("main.go"); got != mainGo {
		t.Errorf("main.go was rewritten:\n%s", got)
	}
	if got := p.read("graph/custom.graphqls"); got != custom {
		t.Errorf("custom.graphqls was rewritten:\n%s", got)
	}
	if got := p.read("Dockerfile"); got != dockerfile {
		t.Errorf("Dockerfile was rewritten:\n%s", got)
	}
	if !p.exists("db/extra.go") {
		t.Error("db/extra.go (not generated) was deleted")
	}
	if !strings.Contains(p.read("graph/custom.resolvers.go"), "func (r *query_rootResolver) Version(") {
		t.Error("gqlgen did not add the resolver of the new custom field")
	}
	if !p.exists("schema/roles/user.graphqls") {
		t.Error("schema/roles/user.graphqls is gone")
	}
}

func TestNoRolesEmbedsFullSchemaOnly(t *testing.T) {
	p := newProject(t, "- table: {schema: public, name: artists}\n")
	p.generate()
	if p.exists("schema/roles") {
		t.Error("schema/roles exists without roles")
	}
	if got := p.read("schema/schema.go"); !strings.Contains(got, "//go:embed full.graphqls api_limits.jsonc source.jsonc relay\n") {
		t.Errorf("schema.go without roles:\n%s", got)
	}
	p.setConfig(chinook(t))
	p.generate()
	if got := p.read("schema/schema.go"); !strings.Contains(got, "//go:embed full.graphqls roles api_limits.jsonc source.jsonc relay\n") {
		t.Errorf("schema.go with roles:\n%s", got)
	}
}

func TestCheck(t *testing.T) {
	p := newProject(t, chinook(t))
	if diff := p.check(); !strings.Contains(diff, "--- /dev/null\n+++ "+p.out+"/main.go (generated)") {
		t.Errorf("check before the first generate should list every file as new; got:\n%.2000s", diff)
	}
	p.generate()
	if diff := p.check(); diff != "" {
		t.Fatalf("check right after generate:\n%s", diff)
	}

	before := readTree(t, p.out)
	p.setConfig(chinook(t, "limit: 10", "limit: 5"))
	diff := p.check()
	if got := diffedFiles(diff); !cmp.Equal(got, []string{p.out + "/db/public_artists.go"}) {
		t.Errorf("check after a permission change reports %v, want db/public_artists.go only; diff:\n%s", got, diff)
	}
	for _, line := range []string{"-\t\t\t\tLimit:   10,\n", "+\t\t\t\tLimit:   5,\n"} {
		if !strings.Contains(diff, line) {
			t.Errorf("diff has no line %q:\n%s", line, diff)
		}
	}
	if d := cmp.Diff(before, readTree(t, p.out)); d != "" {
		t.Errorf("check modified the project (-before +after):\n%s", d)
	}
	entries, _ := os.ReadDir(filepath.Dir(p.out))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".hasgen-check-") {
			t.Errorf("check left %s behind", e.Name())
		}
	}

	p.generate()
	if diff := p.check(); diff != "" {
		t.Errorf("check after regenerating:\n%s", diff)
	}

	// A user edit to the custom schema, not yet generated, is drift too.
	p.write("graph/custom.graphqls", p.read("graph/custom.graphqls")+"\nextend type query_root {\n  version: String!\n}\n")
	got := diffedFiles(p.check())
	for _, want := range []string{"graph/custom.resolvers.go", "graph/generated.go", "graph/sdl.go"} {
		if !contains(got, p.out+"/"+want) {
			t.Errorf("check after a custom schema edit does not report %s: %v", want, got)
		}
	}
}

// diffedFiles lists the files named by the "--- " lines of a diff.
func diffedFiles(diff string) []string {
	var out []string
	for _, line := range strings.Split(diff, "\n") {
		if name, ok := strings.CutPrefix(line, "--- "); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestGoMod(t *testing.T) {
	dir := t.TempDir()
	o := Options{Snapshot: chinookSnapshot, Config: "testdata/chinook.yaml", Out: filepath.Join(dir, "server"), Module: "example.com/app/server"}
	o.RuntimeReplace = ".." // relative to the working directory: the package's
	if _, err := Generate(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(o.Out, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse("go.mod", b, nil)
	if err != nil {
		t.Fatal(err)
	}
	own, err := modfile.Parse("go.mod", hasgen.GoMod(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Module.Mod.Path != "example.com/app/server" {
		t.Errorf("module %q", f.Module.Mod.Path)
	}
	if f.Go.Version != own.Go.Version {
		t.Errorf("go %s, want hasgen's %s", f.Go.Version, own.Go.Version)
	}
	got := map[string]string{}
	for _, r := range f.Require {
		got[r.Mod.Path] = r.Mod.Version
	}
	for _, r := range own.Require {
		if got[r.Mod.Path] != r.Mod.Version {
			t.Errorf("requires %s %q, want hasgen's %s", r.Mod.Path, got[r.Mod.Path], r.Mod.Version)
		}
	}
	if _, ok := got["github.com/hasgen/hasgen"]; !ok {
		t.Error("does not require github.com/hasgen/hasgen")
	}
	if len(f.Tool) != 1 || f.Tool[0].Path != sqlcTool {
		t.Errorf("tools %v, want %s", f.Tool, sqlcTool)
	}
	// The replace is relative to the project when given relative.
	want, _ := filepath.Rel(o.Out, repoRoot(t))
	if len(f.Replace) != 1 || f.Replace[0].New.Path != filepath.ToSlash(want) {
		t.Errorf("replace %+v, want => %s", f.Replace, want)
	}
	mainGo, _ := os.ReadFile(filepath.Join(o.Out, "main.go"))
	if !strings.Contains(string(mainGo), `"example.com/app/server/db"`) {
		t.Errorf("main.go does not import the module's db package:\n%s", mainGo)
	}
}
