package templates

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/catalog"
)

// namingCases are the store golden case under a naming convention and a
// source customization: testdata/golden/naming/<name>/.
var namingCases = []struct {
	name, base string
	c          *metadata.Customization
}{
	{"graphql_default", "store", &metadata.Customization{NamingConvention: metadata.GraphQLDefault}},
	{"customized", "store", &metadata.Customization{RootNamespace: "shop", RootPrefix: "my_", RootSuffix: "_v1", TypePrefix: "T_", TypeSuffix: "_x"}},
	{"graphql_default_customized", "store", &metadata.Customization{NamingConvention: metadata.GraphQLDefault,
		RootNamespace: "shop", RootPrefix: "my", RootSuffix: "v1", TypePrefix: "T", TypeSuffix: "x"}},
	{"enums_graphql_default", "enums", &metadata.Customization{NamingConvention: metadata.GraphQLDefault, TypePrefix: "T"}},
	{"functions_graphql_default", "functions", &metadata.Customization{NamingConvention: metadata.GraphQLDefault, RootPrefix: "my"}},
}

// namingProject is the store case with customization c and server-wide
// default naming convention def.
func namingProject(t *testing.T, c *metadata.Customization, def string) *model.Project {
	t.Helper()
	return namingProjectOf(t, "store", c, def)
}

// namingProjectOf is the SDL golden case base with customization c and
// server-wide default naming convention def.
func namingProjectOf(t *testing.T, base string, c *metadata.Customization, def string) *model.Project {
	t.Helper()
	dir := filepath.Join(golden.Dir(t), "sdl", base)
	s, err := introspect.LoadSnapshotFile(filepath.Join(dir, "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Load(filepath.Join(dir, "tables.yaml"), s)
	if err != nil {
		t.Fatal(err)
	}
	md.Customization, md.DefaultNamingConvention = c, def
	p, err := model.Build(s, md)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSDLNamingGolden: the store schema of every role under graphql-default
// and under root field and type name customization, loaded by gqlparser and
// compared with testdata/golden/naming.
func TestSDLNamingGolden(t *testing.T) {
	for _, nc := range namingCases {
		p := namingProjectOf(t, nc.base, nc.c, "")
		for _, role := range sdlTestRoles(p) {
			t.Run(nc.name+"/"+role, func(t *testing.T) {
				got := sdlTestMust(t, p, role)
				sdlTestLoad(t, sdlTestFile(role), got)
				golden.Compare(t, filepath.Join(golden.Dir(t), "naming", nc.name, sdlTestFile(role)), got)
			})
		}
	}
}

// TestSDLNamingNoSnakeCase: under graphql-default no name the schema
// defines is in snake_case but those Hasura keeps (the _eq operators, the
// root types) and the custom names of the store case.
func TestSDLNamingNoSnakeCase(t *testing.T) {
	p := namingProject(t, &metadata.Customization{NamingConvention: metadata.GraphQLDefault}, "")
	s := sdlTestLoad(t, "full.graphqls", sdlTestMust(t, p, model.AdminRole))
	custom := map[string]bool{"extra_data": true, "query_root": true, "subscription_root": true, "mutation_root": true}
	snake := func(n string) bool {
		// Hasura keeps the aggregate predicates' function names.
		for _, fn := range []string{"bool_and", "bool_or"} {
			n = strings.ReplaceAll(strings.ReplaceAll(n, fn, ""), catalog.UpperFirst(fn), "")
		}
		return strings.Contains(strings.TrimPrefix(n, "_"), "_") && !custom[n]
	}
	for _, d := range s.Types {
		if d.BuiltIn || strings.HasPrefix(d.Name, "__") {
			continue
		}
		if snake(d.Name) {
			t.Errorf("type %s is snake_case", d.Name)
		}
		for _, f := range d.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if snake(f.Name) {
				t.Errorf("field %s.%s is snake_case", d.Name, f.Name)
			}
			for _, a := range f.Arguments {
				if snake(a.Name) {
					t.Errorf("argument %s.%s(%s) is snake_case", d.Name, f.Name, a.Name)
				}
			}
		}
	}
	for _, want := range []string{"orderBy", "distinctOn", "_isNull", "affectedRows", "pkColumns", "onConflict", "stddevPop", "DESC_NULLS_LAST", "OrderBy", "AlbumsBoolExp"} {
		if !bytes.Contains(sdlTestMust(t, p, model.AdminRole), []byte(want)) {
			t.Errorf("no %s in the schema", want)
		}
	}
}

// TestSDLNamingDefault: the server-wide default naming convention applies
// when the source sets none, and the source's wins over it.
func TestSDLNamingDefault(t *testing.T) {
	gql := sdlTestMust(t, namingProject(t, &metadata.Customization{NamingConvention: metadata.GraphQLDefault}, ""), model.AdminRole)
	hasura := sdlTestMust(t, namingProject(t, nil, ""), model.AdminRole)
	if bytes.Equal(gql, hasura) {
		t.Fatal("graphql-default and hasura-default schemas are the same")
	}
	if got := sdlTestMust(t, namingProject(t, nil, metadata.GraphQLDefault), model.AdminRole); !bytes.Equal(got, gql) {
		t.Error("the default graphql-default does not apply to a source without naming_convention")
	}
	if got := sdlTestMust(t, namingProject(t, &metadata.Customization{NamingConvention: metadata.HasuraDefault}, metadata.GraphQLDefault), model.AdminRole); !bytes.Equal(got, hasura) {
		t.Error("the source's hasura-default does not win over the default")
	}
}
