package generate

import (
	"path/filepath"
	"testing"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
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
	for _, k := range []string{pathGqlgenConfig, pathSqlcConfig, pathSchemaSQL, "schema/schema.go"} {
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
