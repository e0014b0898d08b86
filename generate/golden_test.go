package generate

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/allowlist"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/schedule"
)

// TestSchemaSQL compares sql/schema.sql of every table of each snapshot
// with testdata/golden/generate/schema_sql/<snapshot>.sql.
func TestSchemaSQL(t *testing.T) {
	for _, name := range []string{"chinook_graphql_bench", "fixture", "pagila"} {
		t.Run(name, func(t *testing.T) {
			s, err := introspect.LoadSnapshotFile(filepath.Join(golden.Dir(t), "introspect", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			// schemaSQL reads only the tables' database side: track them all.
			p := &model.Project{DB: s}
			for i := range s.Tables {
				it := &s.Tables[i]
				p.Tables = append(p.Tables, &model.Table{Schema: it.Schema, Name: it.Name, DB: it})
			}
			golden.Compare(t, filepath.Join(golden.Dir(t), "generate", "schema_sql", name+".sql"), schemaSQL(p, "hasgen.yaml"))
		})
	}
}

// TestProjectFiles compares the files hasgen writes itself (not the
// templates' db/ and schema/*.graphqls, which have their own golden
// tests) for testdata/chinook.yaml with testdata/golden/generate/chinook/.
func TestProjectFiles(t *testing.T) {
	s, err := introspect.LoadSnapshotFile(chinookSnapshot)
	if err != nil {
		t.Fatal(err)
	}
	o := &Options{Config: "testdata/chinook.yaml", Module: "server"}
	md, err := metadata.Load(o.Config, s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Build(s, md)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := projectFiles(p, o, "../..")
	if err != nil {
		t.Fatal(err)
	}
	all := map[string][]byte{}
	for k, v := range fs.user {
		all[k] = v
	}
	for _, k := range []string{pathGqlgenConfig, pathSqlcConfig, pathSchemaSQL, "schema/schema.go", pathActionsGo, pathRolesSDL} {
		all[k] = fs.generated[k]
	}
	sdl, err := sdlGo(o.Config, gqlgenStamp(fs.generated[pathGqlgenConfig], fs.user[pathCustomSDL], o.Module))
	if err != nil {
		t.Fatal(err)
	}
	all[pathCustomSDLGo] = sdl
	dir := filepath.Join(golden.Dir(t), "generate", "chinook")
	for rel, b := range all {
		golden.Compare(t, filepath.Join(dir, filepath.FromSlash(rel)), b)
	}
}

// TestEventsFile compares schema/events.jsonc and schema/schema.go (which
// embeds it) for the metadata directory of
// testdata/golden/generate/events/ with the files beside it, and checks
// that a project without triggers has no events.jsonc.
func TestEventsFile(t *testing.T) {
	s, err := introspect.LoadSnapshotFile(chinookSnapshot)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(golden.Dir(t), "generate", "events")
	o := &Options{Config: filepath.Join(dir, "metadata"), Module: "server"}
	md, err := metadata.Load(o.Config, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := md.UnsupportedError(); err != nil {
		t.Fatalf("unsupported: %v", err)
	}
	p, err := model.Build(s, md)
	if err != nil {
		t.Fatal(err)
	}
	o.Config = "metadata" // the source line of the headers, not a path of this machine
	fs, err := projectFiles(p, o, "../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"schema/events.jsonc", "schema/schema.go"} {
		golden.Compare(t, filepath.Join(dir, filepath.FromSlash(rel)), fs.generated[rel])
	}
	// What the runtime reads back is what the metadata says.
	cfg, err := events.Load(fstest.MapFS{events.File: {Data: fs.generated["schema/events.jsonc"]}})
	if err != nil {
		t.Fatal(err)
	}
	compact := cmp.Transformer("compact", func(r json.RawMessage) string {
		var b bytes.Buffer
		if err := json.Compact(&b, r); err != nil {
			return "invalid JSON: " + string(r)
		}
		return b.String()
	})
	if diff := cmp.Diff(md.EventTriggers, cfg.Triggers, compact); diff != "" {
		t.Errorf("events.Load (-metadata +read):\n%s", diff)
	}
	crons, err := schedule.Load(fstest.MapFS{events.File: {Data: fs.generated["schema/events.jsonc"]}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(md.CronTriggers, crons.Crons, compact); diff != "" {
		t.Errorf("schedule.Load (-metadata +read):\n%s", diff)
	}

	// Without triggers: no file, and schema.go does not embed one.
	plain, err := metadata.Load("testdata/chinook.yaml", s)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := model.Build(s, plain)
	if err != nil {
		t.Fatal(err)
	}
	fs, err = projectFiles(pp, &Options{Config: "testdata/chinook.yaml", Module: "server"}, "../..")
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := fs.generated["schema/events.jsonc"]; ok {
		t.Errorf("schema/events.jsonc written without triggers:\n%s", b)
	}
	if bytes.Contains(fs.generated["schema/schema.go"], []byte("events.jsonc")) {
		t.Errorf("schema.go embeds events.jsonc without triggers")
	}
}

// TestAllowListFile compares schema/allow_list.jsonc (the allowed
// collections only, scopes as written) and schema/schema.go, which embeds
// it, with their goldens; the runtime builds a list from it that allows
// the scoped collection to its roles only.
func TestAllowListFile(t *testing.T) {
	s, err := introspect.LoadSnapshotFile(chinookSnapshot)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(golden.Dir(t), "generate", "allowlist")
	o := &Options{Config: filepath.Join(dir, "metadata"), Module: "server"}
	md, err := metadata.Load(o.Config, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := md.UnsupportedError(); err != nil {
		t.Fatalf("unsupported: %v", err)
	}
	p, err := model.Build(s, md)
	if err != nil {
		t.Fatal(err)
	}
	o.Config = "metadata"
	fs, err := projectFiles(p, o, "../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"schema/" + allowlist.File, "schema/schema.go"} {
		golden.Compare(t, filepath.Join(dir, filepath.FromSlash(rel)), fs.generated[rel])
	}
	b := fs.generated["schema/"+allowlist.File]
	for bytes.HasPrefix(b, []byte("//")) {
		_, b, _ = bytes.Cut(b, []byte("\n"))
	}
	var cfg allowlist.Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	l, err := allowlist.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	names := "{ artists { name } }"
	doc, err := parser.ParseQuery(&ast.Source{Input: names})
	if err != nil {
		t.Fatal(err)
	}
	if !l.Allows("editor", doc, names) || l.Allows("viewer", doc, names) {
		t.Errorf("the editors collection: editor %v, viewer %v; want true, false", l.Allows("editor", doc, names), l.Allows("viewer", doc, names))
	}
	if l.Len() != 2 {
		t.Errorf("%d documents allowed, want 2 (the unlisted collection left out)", l.Len())
	}
}

// TestCompiledOperationsGolden compiles the operations of an
// operations/*.graphql file and of the allowlist fixture's query
// collections against Chinook's permissions: the files a reviewer reads.
func TestCompiledOperationsGolden(t *testing.T) {
	s, err := introspect.LoadSnapshotFile(chinookSnapshot)
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Load(filepath.Join(golden.Dir(t), "generate", "allowlist", "metadata"), s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Build(s, md)
	if err != nil {
		t.Fatal(err)
	}
	o := &Options{Config: "metadata", Module: "server"}
	fs, err := projectFiles(p, o, "../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"operations/artists.graphql": `# Artists from an id on, by name.
query ArtistsFrom($id: Int!, $limit: Int) {
  artists(where: {id: {_gte: $id}}, order_by: {name: asc}, limit: $limit) {
    ...ArtistFields
  }
}

fragment ArtistFields on artists {
  id
  name
}
`})
	if err := compiledFiles(p, dir, "metadata", fs); err != nil {
		t.Fatal(err)
	}
	var got []string
	for rel := range fs.generated {
		if strings.HasPrefix(rel, dirOperations+"/") {
			got = append(got, rel)
			golden.Compare(t, filepath.Join(golden.Dir(t), "generate", "compiled", filepath.FromSlash(rel)+".txt"), fs.generated[rel])
		}
	}
	sort.Strings(got)
	want := []string{"operations/artists_from.op.go", "operations/collection_allowed_queries_artists.op.go",
		"operations/collection_editors_names.op.go", "operations/collection_unlisted_one_artist.op.go", "operations/operations.go"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v", got, want)
	}
}
