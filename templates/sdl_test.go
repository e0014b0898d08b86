package templates

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/engine"
)

// sdlTestCase loads the golden case testdata/golden/sdl/<name>: its database
// snapshot schema.json and its permissions file tables.yaml.
func sdlTestCase(t *testing.T, name string) *model.Project {
	t.Helper()
	dir := filepath.Join(golden.Dir(t), "sdl", name)
	s, err := introspect.LoadSnapshotFile(filepath.Join(dir, "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	return sdlTestProject(t, s, filepath.Join(dir, "tables.yaml"), "")
}

// sdlTestProject builds the model of s with the permissions file at path, or,
// when yaml is not empty, with yaml as the permissions file.
func sdlTestProject(t *testing.T, s *introspect.Schema, path, yaml string) *model.Project {
	t.Helper()
	var md *metadata.Metadata
	var err error
	if yaml != "" {
		md, err = metadata.LoadFS(fstest.MapFS{"tables.yaml": {Data: []byte(yaml)}}, "tables.yaml", s)
	} else {
		md, err = metadata.Load(path, s)
	}
	if err != nil {
		t.Fatalf("metadata:\n%v", err)
	}
	p, err := model.Build(s, md)
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	return p
}

// sdlTestSnapshot reads testdata/golden/introspect/<name>.json.
func sdlTestSnapshot(t *testing.T, name string) *introspect.Schema {
	t.Helper()
	s, err := introspect.LoadSnapshotFile(filepath.Join(golden.Dir(t), "introspect", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sdlTestInferred builds the model of a snapshot with every table tracked and
// every foreign key a relationship (hasgen init's starting point), plus
// select permissions: role reader sees every column and may aggregate;
// role browser sees each table's first two columns (so not always the
// whole primary key) and may not aggregate.
func sdlTestInferred(t *testing.T, name string) *model.Project {
	t.Helper()
	s := sdlTestSnapshot(t, name)
	md := metadata.Infer(s)
	all := metadata.RootFieldSet{Select: true, SelectByPk: true, SelectAggregate: true, SelectStream: true}
	for _, mt := range md.Tables {
		def := s.Table(mt.Schema, mt.Name)
		var cols []string
		for _, c := range def.Columns {
			cols = append(cols, c.Name)
			// pagila's views have a "zip code" column: name it as a
			// Hasura user would have to.
			if strings.Contains(c.Name, " ") {
				mt.Configuration.ColumnConfig = append(mt.Configuration.ColumnConfig,
					&metadata.ColumnConfig{Column: c.Name, CustomName: strings.ReplaceAll(c.Name, " ", "_")})
			}
		}
		mt.SelectPermissions = append(mt.SelectPermissions,
			&metadata.SelectPermission{Role: "reader", Columns: cols, AllColumns: true, Filter: &metadata.And{},
				Limit: -1, AllowAggregations: true, QueryRootFields: all, SubscriptionRootFields: all},
			&metadata.SelectPermission{Role: "browser", Columns: cols[:min(2, len(cols))], Filter: &metadata.And{},
				Limit: -1, QueryRootFields: all, SubscriptionRootFields: all})
	}
	p, err := model.Build(s, md)
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	return p
}

func sdlTestMust(t *testing.T, p *model.Project, role string) []byte {
	t.Helper()
	got, err := SDL(p, role)
	if err != nil {
		t.Fatalf("SDL(%s): %v", role, err)
	}
	return got
}

// sdlTestLoad loads a schema as the runtime does; gqlparser checks that every
// type it names is defined.
func sdlTestLoad(t *testing.T, name string, sdl []byte) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: name, Input: string(sdl)})
	if err != nil {
		t.Fatalf("%s does not load: %v", name, err)
	}
	return s
}

// sdlTestFile is where the runtime reads a role's schema from.
func sdlTestFile(role string) string {
	if role == model.AdminRole {
		return "full.graphqls"
	}
	return "roles/" + role + ".graphqls"
}

// sdlTestRoles is admin and every role of the project.
func sdlTestRoles(p *model.Project) []string { return append([]string{model.AdminRole}, p.Roles...) }

func TestSDLGolden(t *testing.T) {
	for _, name := range []string{"store", "enums", "functions"} {
		p := sdlTestCase(t, name)
		for _, role := range sdlTestRoles(p) {
			t.Run(name+"/"+role, func(t *testing.T) {
				got := sdlTestMust(t, p, role)
				sdlTestLoad(t, sdlTestFile(role), got)
				golden.Compare(t, filepath.Join(golden.Dir(t), "sdl", name, sdlTestFile(role)), got)
			})
		}
	}
}

func TestSDLLoads(t *testing.T) {
	tests := []struct {
		name    string
		project func(t *testing.T) *model.Project
	}{
		{"chinook_graphql_bench", func(t *testing.T) *model.Project { return sdlTestInferred(t, "chinook_graphql_bench") }},
		{"chinook", func(t *testing.T) *model.Project { return sdlTestInferred(t, "chinook") }},
		{"pagila", func(t *testing.T) *model.Project { return sdlTestInferred(t, "pagila") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.project(t)
			for _, role := range sdlTestRoles(p) {
				s := sdlTestLoad(t, role, sdlTestMust(t, p, role))
				// Every tracked table is in the schema with its select root field.
				for _, tb := range p.Tables {
					if s.Query.Fields.ForName(tb.Roots.Select) == nil {
						t.Errorf("%s: query_root has no %s", role, tb.Roots.Select)
					}
				}
			}
		})
	}
}

// TestSDLEngine loads the schemas the way a generated server does.
func TestSDLEngine(t *testing.T) {
	for _, p := range []*model.Project{sdlTestCase(t, "store"), sdlTestCase(t, "enums"), sdlTestInferred(t, "chinook_graphql_bench")} {
		fsys := fstest.MapFS{}
		for _, role := range sdlTestRoles(p) {
			fsys[sdlTestFile(role)] = &fstest.MapFile{Data: sdlTestMust(t, p, role)}
		}
		e, err := engine.New(engine.Config{Tables: Descriptors(p), Schemas: fsys}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, role := range sdlTestRoles(p) {
			if s, err := e.Schema(role); err != nil || s.Query == nil {
				t.Errorf("engine has no schema for %s: %v", role, err)
			}
		}
	}
}

func TestSDLDeterministic(t *testing.T) {
	tests := []struct {
		name  string
		build func() *model.Project
	}{
		{"store", func() *model.Project { return sdlTestCase(t, "store") }},
		{"chinook", func() *model.Project { return sdlTestInferred(t, "chinook_graphql_bench") }},
		{"pagila", func() *model.Project { return sdlTestInferred(t, "pagila") }},
	}
	for _, tt := range tests {
		// Twice from one model, and once from a model built again.
		p1, p2 := tt.build(), tt.build()
		for _, role := range sdlTestRoles(p1) {
			a, b, c := sdlTestMust(t, p1, role), sdlTestMust(t, p1, role), sdlTestMust(t, p2, role)
			if !bytes.Equal(a, b) || !bytes.Equal(a, c) {
				t.Errorf("%s/%s: two runs differ", tt.name, role)
			}
		}
	}
}

// sdlTestCheck says whether a type, or a field (or enum value) of it, is in
// a role's schema.
type sdlTestCheck struct {
	role, typ, field string
	want             bool
}

func TestSDLGating(t *testing.T) {
	p := sdlTestCase(t, "store")
	schemas := map[string]*ast.Schema{}
	texts := map[string]string{}
	for _, role := range sdlTestRoles(p) {
		sdl := sdlTestMust(t, p, role)
		schemas[role] = sdlTestLoad(t, role, sdl)
		texts[role] = string(sdl)
	}
	checks := []sdlTestCheck{
		// admin sees everything.
		{"admin", "query_root", "sales_orders_by_pk", true},
		{"admin", "subscription_root", "artists_by_pk", true},
		{"admin", "albums", "extra_data", true},
		{"admin", "albums", "orders_aggregate", true},
		{"admin", "albums_bool_exp", "orders_aggregate", true},
		{"admin", "albums_order_by", "orders_aggregate", true},
		{"admin", "sales_orders_aggregate_bool_exp", "bool_and", true},
		{"admin", "json_comparison_exp", "_is_null", true},
		{"admin", "json_comparison_exp", "_eq", false},

		// user: custom root names, filtered columns, no aggregates.
		{"user", "query_root", "album", true},
		{"user", "query_root", "albums_by_pk", false},
		{"user", "query_root", "albums_aggregate", false},
		{"user", "query_root", "album_stats_by_pk", false}, // a view: no primary key
		{"user", "subscription_root", "album", true},
		{"user", "albums", "price", false},
		{"user", "albums", "released", false},
		{"user", "albums", "extra_data", false},
		{"user", "albums", "orders", false},
		{"user", "albums", "stats", true},
		{"user", "albums_bool_exp", "price", false},
		{"user", "albums_bool_exp", "orders", false},
		{"user", "albums_bool_exp", "metadata", true},
		{"user", "albums_order_by", "released", false},
		{"user", "albums_select_column", "price", false},
		{"user", "albums_select_column", "title", true},
		{"user", "artists", "albums", true},
		{"user", "artists", "albums_aggregate", false},
		{"user", "artists", "created_at", false},
		{"user", "artists_bool_exp", "albums_aggregate", false},
		{"user", "artists_order_by", "albums_aggregate", false},
		{"user", "albums_aggregate", "", false},
		{"user", "albums_aggregate_fields", "", false},
		{"user", "albums_aggregate_order_by", "", false},
		{"user", "albums_aggregate_bool_exp", "", false},
		{"user", "sales_orders", "", false},
		{"user", "sales_orders_bool_exp", "", false},
		{"user", "numeric", "", false},
		{"user", "jsonb_cast_exp", "String", true},
		{"user", "String_comparison_exp", "_ilike", true},
		{"user", "String_array_comparison_exp", "_contains", true},

		// analyst: aggregates, partial columns, restricted root fields.
		{"analyst", "query_root", "sales_orders", true},
		{"analyst", "query_root", "sales_orders_aggregate", true},
		{"analyst", "query_root", "sales_orders_by_pk", false}, // region is not selectable
		{"analyst", "subscription_root", "sales_orders_by_pk", false},
		{"analyst", "query_root", "artists", true},
		{"analyst", "query_root", "artists_aggregate", true},
		{"analyst", "query_root", "artists_by_pk", false},  // query_root_fields
		{"analyst", "subscription_root", "artists", false}, // subscription_root_fields: []
		{"analyst", "subscription_root", "artists_aggregate", false},
		{"analyst", "query_root", "album", true},
		{"analyst", "albums", "stats", false}, // no select on album_stats
		{"analyst", "albums", "metadata", false},
		{"analyst", "albums", "orders_aggregate", true},
		{"analyst", "artists", "albums_aggregate", true},
		{"analyst", "artists_bool_exp", "albums_aggregate", true},
		{"analyst", "artists_order_by", "albums_aggregate", true},
		{"analyst", "albums_aggregate_bool_exp", "count", true},
		{"analyst", "albums_aggregate_bool_exp", "bool_and", true},
		{"analyst", "albums_aggregate_bool_exp", "bool_or", true},
		{"analyst", "albums_select_column_albums_aggregate_bool_exp_bool_and_arguments_columns", "released", true},
		{"analyst", "albums_max_fields", "title", true},
		{"analyst", "albums_max_fields", "metadata", false},
		{"analyst", "albums_sum_fields", "price", true},
		{"analyst", "albums_sum_fields", "title", false},
		{"analyst", "sales_orders", "region", false},
		{"analyst", "sales_orders", "note", false},
		{"analyst", "sales_orders_bool_exp", "region", false},
		{"analyst", "sales_orders_order_by", "region", false},
		{"analyst", "sales_orders_select_column", "region", false},
		{"analyst", "sales_orders_max_fields", "region", false},
		{"analyst", "sales_orders_sum_fields", "region", false},
		{"analyst", "sales_orders_sum_fields", "amount", true},
		{"analyst", "sales_orders_avg_order_by", "region", false},
		{"analyst", "sales_orders_max_order_by", "id", true},
		{"analyst", "album_stats", "", false},
		// No array relationship leads to artists: its aggregate
		// predicates are not reachable, so not in the schema.
		{"analyst", "artists_aggregate_bool_exp", "", false},

		// writer: no select permission anywhere.
		{"writer", "query_root", "no_queries_available", true},
		{"writer", "albums", "", false},
		{"writer", "mutation_root", "insert_albums", true},
		{"writer", "albums_mutation_response", "affected_rows", true},
		{"writer", "albums_mutation_response", "returning", false},
	}
	for _, c := range checks {
		s := schemas[c.role]
		def := s.Types[c.typ]
		var got bool
		switch {
		case c.field == "":
			got = def != nil
		case def != nil && def.Kind == ast.Enum:
			got = def.EnumValues.ForName(c.field) != nil
		case def != nil:
			got = def.Fields.ForName(c.field) != nil
		}
		if got != c.want {
			what := c.typ
			if c.field != "" {
				what += "." + c.field
			}
			t.Errorf("%s: %s present = %v, want %v", c.role, what, got, c.want)
		}
	}

	// No trace of a table the role may not select from, nor of
	// aggregates for a role without allow_aggregations.
	traces := []struct {
		role string
		re   string
	}{
		{"user", `sales|orders`},
		{"user", `aggregate`},
		{"analyst", `album_stats|stats`},
		// writer may insert into albums: insert_albums and its input, but
		// nothing to read with (no returning, no where, no _one).
		{"writer", `artists|orders|album_stats|_exp|order_by|returning|insert_albums_one`},
	}
	for _, tr := range traces {
		if m := regexp.MustCompile(tr.re).FindString(texts[tr.role]); m != "" {
			t.Errorf("%s: schema mentions %q", tr.role, m)
		}
	}
	if schemas["writer"].Subscription != nil {
		t.Errorf("writer: has a subscription root")
	}
}

// TestSDLEmptyTables covers tables whose selection set would be empty: a
// permission with no columns. A table without columns stays in the schema
// only through a relationship to one that has them, and then has no
// distinct_on or select_column.
func TestSDLEmptyTables(t *testing.T) {
	s, err := introspect.LoadSnapshotFile(filepath.Join(golden.Dir(t), "sdl", "store", "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := sdlTestProject(t, s, "", `
- table: {schema: public, name: albums}
  select_permissions:
    - role: ghost
      permission: {columns: [], filter: {}}
    - role: linker
      permission: {columns: [id, title], filter: {}}
- table: {schema: public, name: album_stats}
  object_relationships:
    - name: album
      using:
        manual_configuration:
          remote_table: {schema: public, name: albums}
          column_mapping: {album_id: id}
  select_permissions:
    - role: linker
      permission: {columns: [], filter: {}, allow_aggregations: true}
`)
	ghost := sdlTestLoad(t, "ghost", sdlTestMust(t, p, "ghost"))
	if ghost.Types["albums"] != nil || ghost.Query.Fields.ForName("no_queries_available") == nil {
		t.Errorf("ghost: albums without columns is in the schema")
	}
	linker := sdlTestLoad(t, "linker", sdlTestMust(t, p, "linker"))
	root := linker.Query.Fields.ForName("album_stats")
	if root == nil {
		t.Fatalf("linker: no album_stats root field")
	}
	if root.Arguments.ForName("distinct_on") != nil || linker.Types["album_stats_select_column"] != nil {
		t.Errorf("linker: album_stats has distinct_on without selectable columns")
	}
	if root.Arguments.ForName("order_by") == nil || linker.Types["album_stats_order_by"].Fields.ForName("album") == nil {
		t.Errorf("linker: album_stats cannot be ordered by its album")
	}
	count := linker.Types["album_stats_aggregate_fields"].Fields.ForName("count")
	if count.Arguments.ForName("columns") != nil {
		t.Errorf("linker: count(columns:) without selectable columns")
	}
}

func TestSDLErrors(t *testing.T) {
	s, err := introspect.LoadSnapshotFile(filepath.Join(golden.Dir(t), "sdl", "store", "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"table named like a shared type", `
- table: {schema: public, name: artists}
  configuration: {custom_name: order_by}
`, `two different types are named "order_by"`},
		{"table named like a generated type", `
- table: {schema: public, name: artists}
  configuration: {custom_name: albums_bool_exp}
- table: {schema: public, name: albums}
`, `two different types are named "albums_bool_exp"`},
		{"table named like a built-in scalar", `
- table: {schema: public, name: artists}
  configuration: {custom_name: String}
`, `"String" is a built-in GraphQL scalar`},
		{"root fields with one name", `
- table: {schema: public, name: artists}
- table: {schema: public, name: albums}
  configuration:
    custom_root_fields: {select_by_pk: artists}
`, `type query_root: field "artists" is defined twice`},
		{"column that cannot be an enum value", `
- table: {schema: public, name: artists}
  configuration:
    column_config:
      name: {custom_name: "null"}
`, `"null" cannot be an enum value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sdlTestProject(t, s, "", tt.yaml)
			_, err := SDL(p, model.AdminRole)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SDL error = %v, want it to contain %s", err, tt.want)
			}
		})
	}
}

// TestSDLDescription checks that every description, database comments
// included, reads back exactly as written.
func TestSDLDescription(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"""plain"""`},
		{`ends with a "quote"`, "\"\"\"\n  ends with a \"quote\"\n  \"\"\""},
		{`ends with a backslash\`, "\"\"\"\n  ends with a backslash\\\n  \"\"\""},
		{`has """ inside`, `"""has \""" inside"""`},
		{`has \""" inside`, `"""has \\""" inside"""`},
		{"two\nlines", "\"\"\"\n  two\n  lines\n  \"\"\""},
		{"para\n\n  indented\nlast", "\"\"\"\n  para\n\n    indented\n  last\n  \"\"\""},
		{strings.Repeat("long ", 20) + "end", "\"\"\"\n  " + strings.Repeat("long ", 20) + "end\n  \"\"\""},
		{"  leading space", `"  leading space"`},
		{"trailing space ", `"trailing space "`},
		{"\nblank first line", `"\nblank first line"`},
		{"cr\r\nlf", `"cr\r\nlf"`},
		{"control\x01char", `"control\u0001char"`},
		{"tab\tand \"quote\" \\ ", `"tab\tand \"quote\" \\ "`},
		{"unicode ✓ 🎵", `"""unicode ✓ 🎵"""`},
	}
	for _, tt := range tests {
		got := sdlDescription(tt.in, "  ")
		if got != tt.want {
			t.Errorf("sdlDescription(%q) = %q, want %q", tt.in, got, tt.want)
		}
		d := &sdlType{kind: sdlObject, name: "query_root", description: tt.in,
			fields: []*sdlField{{name: "f", typ: "Int", description: tt.in, args: []sdlArg{{name: "a", typ: "Int", description: tt.in}}}}}
		s := sdlTestLoad(t, tt.in, []byte(d.String()))
		f := s.Types["query_root"].Fields.ForName("f")
		for what, read := range map[string]string{"type": s.Types["query_root"].Description, "field": f.Description, "argument": f.Arguments.ForName("a").Description} {
			if read != tt.in {
				t.Errorf("%s description %q reads back as %q", what, tt.in, read)
			}
		}
	}
}

// TestSDLGoldenFilesAreUsed fails on golden files no test writes, left
// over from a renamed case or role.
func TestSDLGoldenFilesAreUsed(t *testing.T) {
	want := map[string]bool{}
	for _, name := range []string{"store", "enums", "functions"} {
		p := sdlTestCase(t, name)
		for _, role := range sdlTestRoles(p) {
			want[filepath.Join(name, sdlTestFile(role))] = true
		}
	}
	for _, role := range sdlTestRoles(sdlTestCase(t, "store")) {
		want[filepath.Join("store", "relay", sdlTestFile(role))] = true // TestRelaySDLGolden
	}
	root := filepath.Join(golden.Dir(t), "sdl")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".graphqls") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if !want[rel] {
			t.Errorf("%s is not written by any test", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
