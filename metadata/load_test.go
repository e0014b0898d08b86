package metadata

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hasgen/hasgen/internal/golden"
)

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// hasuraProject is a Hasura project as `hasura metadata export` writes it,
// with one include written as a YAML tag and the rest as strings.
var hasuraProject = map[string]string{
	"config.yaml":           "version: 3\n",
	"metadata/version.yaml": "version: 3\n",
	"metadata/databases/databases.yaml": `- name: default
  kind: postgres
  configuration:
    connection_info:
      database_url:
        from_env: PG_DATABASE_URL
      isolation_level: read-committed
  tables: "!include default/tables/tables.yaml"
  functions: "!include default/functions/functions.yaml"
`,
	"metadata/databases/default/functions/functions.yaml": "[]\n",
	"metadata/databases/default/tables/tables.yaml": `- "!include public_articles.yaml"
- "!include public_authors.yaml"
- !include public_orgs.yaml
`,
	"metadata/databases/default/tables/public_articles.yaml": `table:
  name: articles
  schema: public
object_relationships:
  - name: author
    using:
      foreign_key_constraint_on: author_id
select_permissions:
  - role: user
    permission:
      columns:
        - id
        - title
      filter:
        author:
          id:
            _eq: X-Hasura-User-Id
event_triggers:
  - name: notify
    definition: {enable_manual: false, insert: {columns: '*'}}
    webhook: https://example.com
`,
	"metadata/databases/default/tables/public_authors.yaml": `table:
  name: authors
  schema: public
`,
	"metadata/databases/default/tables/public_orgs.yaml": `table:
  name: orgs
  schema: public
`,
}

func TestLoadHasuraDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, hasuraProject)
	for _, path := range []string{
		filepath.Join(dir, "metadata"),
		filepath.Join(dir, "metadata", "databases", "databases.yaml"),
		dir,
	} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			m, err := Load(path, blog())
			if err != nil {
				t.Fatal(err)
			}
			if m.Source != "default" {
				t.Errorf("Source = %q", m.Source)
			}
			var names []string
			for _, tb := range m.Tables {
				names = append(names, tb.QualifiedName())
			}
			if diff := cmp.Diff([]string{"public.articles", "public.authors", "public.orgs"}, names); diff != "" {
				t.Errorf("tables (-want +got):\n%s", diff)
			}
			p := m.Table("public", "articles").SelectPermission("user")
			if got, want := p.Filter.String(), "(rel author (_eq id x-hasura-user-id))"; got != want {
				t.Errorf("filter = %s, want %s", got, want)
			}
			wantPos := filepath.Join(dir, "metadata", "databases", "default", "tables", "public_articles.yaml") + ":9:5"
			if p.Pos.String() != wantPos {
				t.Errorf("permission at %s, want %s", p.Pos, wantPos)
			}
		})
	}
}

func TestLoadHasuraDirectoryErrorPositions(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for k, v := range hasuraProject {
		files[k] = v
	}
	files["metadata/databases/default/tables/public_orgs.yaml"] = "table: {name: orgz, schema: public}\n"
	writeFiles(t, dir, files)
	_, err := Load(filepath.Join(dir, "metadata"), blog())
	want := filepath.Join(dir, "metadata/databases/default/tables/public_orgs.yaml") + ":1:8: table public.orgz does not exist in the database"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant %s", err, want)
	}
}

func TestLoadFSDirectories(t *testing.T) {
	tables := "- table: orgs\n- table: {schema: public, name: authors}\n"
	databases := "- name: default\n  kind: postgres\n  tables: \"!include default/tables/tables.yaml\"\n"
	tests := []struct {
		name string
		fsys fstest.MapFS
		path string
	}{
		{"metadata directory", fstest.MapFS{"databases/databases.yaml": {Data: []byte(databases)}, "databases/default/tables/tables.yaml": {Data: []byte(tables)}}, "."},
		{"project directory", fstest.MapFS{"metadata/databases/databases.yaml": {Data: []byte(databases)}, "metadata/databases/default/tables/tables.yaml": {Data: []byte(tables)}}, "."},
		{"older layout", fstest.MapFS{"metadata/tables.yaml": {Data: []byte(tables)}}, "metadata"},
		{"older project layout", fstest.MapFS{"proj/metadata/tables.yaml": {Data: []byte(tables)}}, "proj"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := LoadFS(tt.fsys, tt.path, blog())
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Tables) != 2 {
				t.Errorf("%d tables, want 2", len(m.Tables))
			}
		})
	}
	_, err := LoadFS(fstest.MapFS{"t.yaml": {Data: []byte("- \"!include ../x.yaml\"\n")}}, "t.yaml", blog())
	if err == nil || !strings.Contains(err.Error(), "t.yaml:1:3: cannot read ../x.yaml") {
		t.Errorf("an include leaving the FS: %v", err)
	}
}

func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "nope.yaml"), dir} {
		_, err := Load(path, blog())
		var list ErrorList
		if !errors.As(err, &list) || len(list) != 1 || !strings.Contains(list[0].Msg, "file not found") {
			t.Errorf("Load(%s) = %v, want a file-not-found ErrorList", path, err)
		}
	}
	if _, err := Load(filepath.Join(dir, "x.yaml"), nil); err == nil {
		t.Error("Load with no schema succeeded")
	}
}

func TestLoadSources(t *testing.T) {
	tests := []struct {
		name, databases string
		wantSource      string
		wantTables      int
		wantWarnings    []string
		wantErr         string
	}{
		{"several, default chosen", `- name: analytics
  kind: postgres
  tables: []
- name: default
  kind: postgres
  tables: "!include default/tables/tables.yaml"
- name: legacy
  kind: mssql
  tables: []
`, "default", 3, []string{`databases/databases.yaml:1:3: database source "analytics" is not supported by hasgen: it serves one source, "default"`, `databases/databases.yaml:7:3: database source "legacy" is not supported by hasgen: it serves one source, "default"`}, ""},
		{"several, first postgres chosen", `- name: warehouse
  kind: bigquery
- name: main
  kind: postgres
  tables: [{table: orgs}]
`, "main", 1, []string{`databases/databases.yaml:1:3: database source "warehouse" is not supported by hasgen: it serves one source, "main"`}, ""},
		{"one, no tables", "- name: main\n  kind: postgres\n", "main", 0, nil, ""},
		{"only mssql", "- name: main\n  kind: mssql\n  tables: []\n", "", 0, nil,
			`databases/databases.yaml:1:3: database source "main" is of kind "mssql"; hasgen serves postgres only`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{}
			for k, v := range hasuraProject {
				if strings.HasPrefix(k, "metadata/") {
					files[strings.TrimPrefix(k, "metadata/")] = v
				}
			}
			files["databases/databases.yaml"] = tt.databases
			writeFiles(t, dir, files)
			// Relative paths in positions: load from inside the directory.
			t.Chdir(dir)
			m, err := Load(".", blog())
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var warnings []string
			for _, w := range append(m.Warnings, m.Unsupported...) {
				warnings = append(warnings, w.Error())
			}
			if m.Source != tt.wantSource || len(m.Tables) != tt.wantTables {
				t.Errorf("source %q with %d tables, want %q with %d", m.Source, len(m.Tables), tt.wantSource, tt.wantTables)
			}
			if diff := cmp.Diff(tt.wantWarnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadForms(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  []string
	}{
		{"one table", []string{"t.yaml", "table: orgs\n"}, []string{"public.orgs"}},
		{"empty file", []string{"t.yaml", ""}, nil},
		{"empty list", []string{"t.yaml", "[]\n"}, nil},
		{"include of a list", []string{"t.yaml", "- table: orgs\n- !include more.yaml\n", "more.yaml", "- table: authors\n- table: {schema: shop, name: orders}\n"},
			[]string{"public.authors", "public.orgs", "shop.orders"}},
		{"nested includes", []string{"t.yaml", "- \"!include dir/a.yaml\"\n", "dir/a.yaml", "- \"!include b.yaml\"\n", "dir/b.yaml", "table: orgs\n"},
			[]string{"public.orgs"}},
		{"included value", []string{"t.yaml", "- table: orgs\n  select_permissions: \"!include perms.yaml\"\n", "perms.yaml", "- role: user\n  permission: {columns: '*', filter: {}}\n"},
			[]string{"public.orgs"}},
		{"anchors and aliases", []string{"t.yaml", "- table: orgs\n  select_permissions:\n    - role: a\n      permission: &p {columns: '*', filter: {}}\n    - role: b\n      permission: *p\n"},
			[]string{"public.orgs"}},
		{"standard tags", []string{"t.yaml", "- !!map {table: !!str orgs}\n"}, []string{"public.orgs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := loadString(t, tt.files...)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tb := range m.Tables {
				got = append(got, tb.QualifiedName())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tables (-want +got):\n%s", diff)
			}
		})
	}
}

// full uses every key of the format; it loads without errors.
const full = `- table: {schema: public, name: orgs}
- table: {schema: public, name: colors}
  is_enum: true
- table: {schema: public, name: comments}
  object_relationships:
    - name: article
      using: {foreign_key_constraint_on: article_id}
- table: {schema: public, name: authors}
  configuration:
    custom_name: Writer
    comment: People who write
    custom_root_fields:
      select: writers
      select_by_pk: {name: writer, comment: One writer}
      insert_one: addWriter
    column_config:
      org_id: {custom_name: orgId}
      name: {comment: Full name}
    custom_column_names: {email: mail}
  array_relationships:
    - name: articles
      comment: What they wrote
      using:
        foreign_key_constraint_on:
          table: articles
          column: author_id
    - name: edited
      using:
        manual_configuration:
          remote_table: {schema: public, name: articles}
          column_mapping: {id: editor_id}
  object_relationships:
    - name: org
      using: {foreign_key_constraint_on: [org_id]}
  computed_fields:
    - name: full_name
      definition:
        function: {schema: public, name: author_full_name}
        table_argument: author_row
        session_argument: hasura_session
      comment: First and last
  select_permissions:
    - role: user
      permission:
        columns: [name, id]
        computed_fields: [full_name]
        filter: {_or: [{id: X-Hasura-User-Id}, {articles: {is_published: true}}]}
        limit: 10
        allow_aggregations: true
        query_root_fields: [select, select_by_pk]
        subscription_root_fields: [select_stream]
      comment: Their own row, or published authors
    - role: anonymous
      permission: {columns: '*', filter: {}}
  insert_permissions:
    - role: user
      permission:
        check: {org: {name: {_eq: acme}}}
        set: {org_id: x-hasura-org-id, active: true, name: null}
        backend_only: true
  update_permissions:
    - role: user
      permission:
        columns: '*'
        filter: {id: {_eq: X-Hasura-User-Id}}
        check: {active: {_eq: true}}
        set: {email: X-Hasura-Email}
        validate_input:
          type: http
          definition:
            url: {from_env: VALIDATE_URL}
            headers: [{name: X-Secret, value_from_env: SECRET}, {name: X-Fixed, value: "1"}]
            forward_client_headers: true
            timeout: 5
  delete_permissions:
    - role: user
      permission:
        filter: {id: {_eq: X-Hasura-User-Id}}
  event_triggers:
    - {name: anything, definition: {update: {columns: [name]}}, webhook_from_env: HOOK}
- table: {schema: public, name: articles}
  object_relationships:
    - name: author
      using: {foreign_key_constraint_on: author_id}
    - name: writer
      using:
        manual_configuration:
          remote_table: authors
          column_mapping: {author_id: id}
          insertion_order: after_parent
  array_relationships:
    - name: comments
      using:
        foreign_key_constraint_on: {table: {schema: public, name: comments}, columns: [article_id]}
  delete_permissions:
    - role: user
      permission: {filter: {_exists: {_table: orgs, _where: {name: {_ilike: "%x%"}}}}, backend_only: false}
`

func TestLoadModel(t *testing.T) {
	m := mustLoad(t, full)
	if diff := cmp.Diff([]string{"anonymous", "user"}, m.Roles()); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	authors := m.Table("public", "authors")
	if m.Table("public", "nope") != nil || authors == nil || authors.SelectPermission("nope") != nil {
		t.Fatal("accessors")
	}
	c := authors.Configuration
	if c.CustomName != "Writer" || c.Comment != "People who write" || c.CustomRootFields.Select.Name != "writers" ||
		c.CustomRootFields.SelectByPk != (RootFieldName{"writer", "One writer"}) || c.CustomRootFields.InsertOne.Name != "addWriter" {
		t.Errorf("configuration = %+v", c)
	}
	var cc []string
	for _, x := range c.ColumnConfig {
		cc = append(cc, x.Column+"="+x.CustomName+"/"+x.Comment)
	}
	if diff := cmp.Diff([]string{"name=/Full name", "email=mail/", "org_id=orgId/"}, cc); diff != "" {
		t.Errorf("column_config in column order (-want +got):\n%s", diff)
	}
	if !m.Table("public", "colors").IsEnum {
		t.Error("colors is an enum table")
	}

	if diff := cmp.Diff([]string{
		"public.articles.author object public.authors articles_author_id_fkey  before_parent author_id=id",
		"public.articles.writer object public.authors   after_parent author_id=id",
		"public.articles.comments array public.comments comments_article_id_fkey reverse after_parent id=article_id",
		"public.authors.org object public.orgs authors_org_id_fkey  before_parent org_id=id",
		"public.authors.articles array public.articles articles_author_id_fkey reverse after_parent id=author_id",
		"public.authors.edited array public.articles   after_parent id=editor_id",
		"public.comments.article object public.articles comments_article_id_fkey  before_parent article_id=id",
	}, relationshipsOf(m)); diff != "" {
		t.Errorf("relationships (-want +got):\n%s", diff)
	}
	if r := authors.Relationship("edited"); !r.Manual || authors.Relationship("articles").Comment != "What they wrote" {
		t.Errorf("edited = %+v", r)
	}
	if cf := authors.ComputedFields; len(cf) != 1 || cf[0].Def == nil || cf[0].Def.Name != "author_full_name" {
		t.Errorf("computed fields = %+v", cf)
	} else if d := cmp.Diff(&ComputedField{Pos: cf[0].Pos, Name: "full_name", FunctionSchema: "public",
		FunctionName: "author_full_name", TableArgument: "author_row", SessionArgument: "hasura_session", Comment: "First and last",
		Def: cf[0].Def, TableArgIndex: 0, SessionArgIndex: 1, RowColumns: cf[0].RowColumns}, cf[0], cmpopts.IgnoreUnexported(ComputedField{})); d != "" || len(cf[0].RowColumns) == 0 {
		t.Errorf("computed field (-want +got):\n%s", d)
	}

	sel := authors.SelectPermission("user")
	if diff := cmp.Diff([]string{"id", "name"}, sel.Columns); diff != "" || sel.AllColumns {
		t.Errorf("columns in table order (-want +got):\n%s", diff)
	}
	if sel.Limit != 10 || !sel.AllowAggregations || sel.Comment != "Their own row, or published authors" ||
		sel.QueryRootFields != (RootFieldSet{Select: true, SelectByPk: true}) ||
		sel.SubscriptionRootFields != (RootFieldSet{SelectStream: true}) || sel.ComputedFields[0] != "full_name" {
		t.Errorf("select = %+v", sel)
	}
	anon := authors.SelectPermission("anonymous")
	if !anon.AllColumns || len(anon.Columns) != 15 || anon.Limit != -1 || anon.AllowAggregations ||
		anon.QueryRootFields != (RootFieldSet{true, true, true, false}) || anon.SubscriptionRootFields != (RootFieldSet{true, true, true, true}) {
		t.Errorf("anonymous = %+v", anon)
	}

	ins := authors.InsertPermission("user")
	var set []string
	for _, p := range ins.Set {
		set = append(set, p.Column+"="+p.Value.String())
	}
	if diff := cmp.Diff([]string{"name=null", "org_id=x-hasura-org-id", "active=true"}, set); diff != "" {
		t.Errorf("presets in column order (-want +got):\n%s", diff)
	}
	if !ins.AllColumns || len(ins.Columns) != 15 || !ins.BackendOnly || ins.Check.String() != `(rel org (_eq name "acme"))` {
		t.Errorf("insert = %+v", ins)
	}
	if ins.Set[1].Type.Name != "int4" {
		t.Errorf("preset type = %+v", ins.Set[1].Type)
	}

	upd := authors.UpdatePermission("user")
	if upd.Check.String() != "(_eq active true)" || upd.Filter.String() != "(_eq id x-hasura-user-id)" || !upd.AllColumns {
		t.Errorf("update = %+v", upd)
	}
	vi := upd.ValidateInput
	if vi == nil || vi.Type != "http" || vi.URLFromEnv != "VALIDATE_URL" || !vi.ForwardClientHeaders || vi.Timeout != 5 ||
		vi.Headers[0] != (Header{Name: "X-Secret", ValueFromEnv: "SECRET"}) || vi.Headers[1] != (Header{Name: "X-Fixed", Value: "1"}) {
		t.Errorf("validate_input = %+v", vi)
	}
	del := m.Table("public", "articles").DeletePermission("user")
	if del.Filter.String() != `(exists public.orgs (_ilike name "%x%"))` || del.BackendOnly {
		t.Errorf("delete = %+v", del)
	}
	if m.Table("public", "authors").UpdatePermission("nope") != nil || m.Table("public", "authors").InsertPermission("nope") != nil ||
		m.Table("public", "authors").DeletePermission("nope") != nil || authors.Relationship("nope") != nil {
		t.Error("accessors find what is not there")
	}
}

// TestMarshalRoundTrip checks that Marshal writes what Load reads back to
// the same metadata, and that writing again gives the same bytes.
func TestMarshalRoundTrip(t *testing.T) {
	m := mustLoad(t, full)
	first, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	golden.Compare(t, filepath.Join(golden.Dir(t), "metadata", "full_marshal.yaml"), first)
	again := mustLoad(t, string(first))
	second, err := Marshal(again)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(first), string(second)); diff != "" {
		t.Errorf("Marshal(Load(Marshal(m))) differs (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(summary(m), summary(again)); diff != "" {
		t.Errorf("the metadata changed through Marshal (-before +after):\n%s", diff)
	}
}

// summary prints what a Metadata says, without positions.
func summary(m *Metadata) []string {
	out := relationshipsOf(m)
	for _, t := range m.Tables {
		for _, p := range t.SelectPermissions {
			out = append(out, "select "+t.Name+" "+p.Role+" "+strings.Join(p.Columns, ",")+" "+p.Filter.String())
		}
		for _, p := range t.InsertPermissions {
			out = append(out, "insert "+t.Name+" "+p.Role+" "+strings.Join(p.Columns, ",")+" "+p.Check.String())
		}
		for _, p := range t.UpdatePermissions {
			out = append(out, "update "+t.Name+" "+p.Role+" "+strings.Join(p.Columns, ",")+" "+p.Filter.String())
		}
		for _, p := range t.DeletePermissions {
			out = append(out, "delete "+t.Name+" "+p.Role+" "+p.Filter.String())
		}
	}
	return out
}

func TestErrorList(t *testing.T) {
	list := ErrorList{{Pos: Pos{File: "b.yaml", Line: 1, Col: 1}, Msg: "x"}, {Pos: Pos{File: "a.yaml"}, Msg: "y"}}
	list.sort()
	if got, want := list.Error(), "a.yaml: y\nb.yaml:1:1: x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(list.Unwrap()) != 2 {
		t.Error("Unwrap")
	}
}
