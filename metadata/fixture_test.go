package metadata

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hasgen/hasgen/introspect"
)

// The tests build introspect.Schema values by hand: this package reads
// plain data and never talks to a database.

// sqlNames maps the type names the fixtures use to Postgres's spelling.
var sqlNames = map[string]string{
	"int2": "smallint", "int4": "integer", "int8": "bigint", "text": "text", "bool": "boolean",
	"jsonb": "jsonb", "json": "json", "uuid": "uuid", "timestamptz": "timestamp with time zone",
	"numeric": "numeric", "varchar": "character varying", "float8": "double precision",
}

// typ returns a pg_catalog type; "text[]" is an array, "public.mood" an
// enum, "public.posint" a domain over int4.
func typ(name string) introspect.Type {
	dims := strings.Count(name, "[]")
	base := strings.TrimSuffix(name, strings.Repeat("[]", dims))
	switch base {
	case "public.mood":
		return introspect.Type{Schema: "public", Name: "mood", Kind: introspect.TypeEnum, Dims: dims, SQL: name}
	case "public.posint":
		b := typ("int4")
		return introspect.Type{Schema: "public", Name: "posint", Kind: introspect.TypeDomain, Dims: dims, SQL: name, Base: &b}
	}
	sql := sqlNames[base]
	if sql == "" {
		sql = base
	}
	return introspect.Type{Schema: "pg_catalog", Name: base, Kind: introspect.TypeBase, Dims: dims, SQL: sql + strings.Repeat("[]", dims)}
}

// table builds a table from "name type" column specs; the first column is
// the primary key.
func table(schema, name string, cols ...string) introspect.Table {
	t := introspect.Table{Schema: schema, Name: name, Kind: introspect.KindTable, Insertable: true, Updatable: true, Deletable: true}
	for i, spec := range cols {
		f := strings.Fields(spec)
		t.Columns = append(t.Columns, introspect.Column{Name: f[0], Position: i + 1, Type: typ(f[1]), Insertable: true, Updatable: true})
	}
	if len(cols) > 0 {
		t.PrimaryKey = &introspect.Constraint{Name: name + "_pkey", Columns: []string{t.Columns[0].Name}}
	}
	return t
}

func fk(name string, cols []string, refTable string, refCols []string) introspect.ForeignKey {
	return introspect.ForeignKey{Name: name, Columns: cols, RefSchema: "public", RefTable: refTable, RefColumns: refCols}
}

// blog is the schema most tests validate against.
func blog() *introspect.Schema {
	authors := table("public", "authors",
		"id int4", "name text", "email varchar", "org_id int4", "profile jsonb", "data json",
		"tags text[]", "mood public.mood", "uid uuid", "created_at timestamptz", "score numeric",
		"rating int2", "active bool", "karma public.posint", "big int8")
	authors.ForeignKeys = []introspect.ForeignKey{fk("authors_org_id_fkey", []string{"org_id"}, "orgs", []string{"id"})}
	articles := table("public", "articles", "id int4", "title text", "author_id int4", "editor_id int4", "is_published bool", "owner_id int4")
	articles.ForeignKeys = []introspect.ForeignKey{
		fk("articles_author_id_fkey", []string{"author_id"}, "authors", []string{"id"}),
		fk("articles_editor_id_fkey", []string{"editor_id"}, "authors", []string{"id"}),
	}
	comments := table("public", "comments", "id int4", "article_id int4", "body text", "author_id int4")
	comments.ForeignKeys = []introspect.ForeignKey{
		fk("comments_article_id_fkey", []string{"article_id"}, "articles", []string{"id"}),
		fk("comments_author_id_fkey", []string{"author_id"}, "authors", []string{"id"}),
	}
	s := &introspect.Schema{
		Version: introspect.SnapshotVersion,
		Schemas: []string{"public", "shop"},
		Tables: []introspect.Table{
			articles, authors, comments,
			table("public", "colors", "value text", "comment text"),
			table("public", "orgs", "id int4", "name text"),
			table("public", "untracked", "id int4"),
			table("shop", "orders", "id int4", "author_id int4"),
		},
		Enums:     []introspect.Enum{{Schema: "public", Name: "mood", Labels: []string{"happy", "sad"}}},
		Functions: blogFunctions(),
	}
	s.Sort()
	return s
}

// blogFunctions are blog()'s functions: tracked functions and the
// functions of computed fields.
func blogFunctions() []introspect.Function {
	row := func(name string) introspect.Arg {
		return introspect.Arg{Name: name, Type: introspect.Type{Schema: "public", Name: "authors", Kind: introspect.TypeComposite, SQL: "public.authors"}}
	}
	text := typ("text")
	boolean := typ("bool")
	mood := typ("public.mood")
	return []introspect.Function{
		{Schema: "public", Name: "author_full_name", Args: []introspect.Arg{row("author_row"), {Name: "hasura_session", Type: typ("json")}},
			ReturnType: &text, Volatility: "stable"},
		{Schema: "public", Name: "author_flag", Args: []introspect.Arg{{Name: "x", Type: typ("int4")}, row("a")},
			ReturnType: &boolean, Volatility: "stable"},
		{Schema: "public", Name: "author_volatile", Args: []introspect.Arg{row("a")}, ReturnType: &text, Volatility: "volatile"},
		{Schema: "public", Name: "author_mood", Args: []introspect.Arg{row("a")}, ReturnType: &mood, Volatility: "stable"},
		{Schema: "public", Name: "author_articles", Args: []introspect.Arg{row("a"), {Name: "lim", Type: typ("int4"), HasDefault: true}},
			ReturnSchema: "public", ReturnTable: "articles", Volatility: "stable"},
		{Schema: "public", Name: "search_articles", Args: []introspect.Arg{{Name: "search", Type: typ("text")}},
			ReturnSchema: "public", ReturnTable: "articles", Volatility: "stable"},
		{Schema: "public", Name: "publish", Args: []introspect.Arg{{Name: "id", Type: typ("int4")}, {Name: "s", Type: typ("json")}},
			ReturnSchema: "public", ReturnTable: "articles", Volatility: "volatile"},
		{Schema: "public", Name: "jsonb_session", Args: []introspect.Arg{{Name: "s", Type: typ("jsonb")}},
			ReturnSchema: "public", ReturnTable: "orgs", Volatility: "stable"},
		{Schema: "public", Name: "one_org", ReturnSchema: "public", ReturnTable: "orgs", Single: true, Volatility: "stable"},
		{Schema: "public", Name: "many_orgs", Args: []introspect.Arg{{Name: "ids", Type: typ("int4[]")}, {Name: "j", Type: typ("jsonb")}},
			ReturnSchema: "public", ReturnTable: "orgs", Variadic: true, Volatility: "stable"},
		{Schema: "public", Name: "untracked_rows", ReturnSchema: "public", ReturnTable: "untracked", Volatility: "stable"},
		{Schema: "public", Name: "twice", ReturnSchema: "public", ReturnTable: "articles", Volatility: "stable"},
		{Schema: "public", Name: "twice", Args: []introspect.Arg{{Name: "n", Type: typ("int4")}}, ReturnSchema: "public", ReturnTable: "articles", Volatility: "stable"},
	}
}

// blogTables is a valid table list for blog(); tests append to it.
const blogTables = `- table: {schema: public, name: authors}
  array_relationships:
    - name: articles
      using:
        foreign_key_constraint_on: {table: {schema: public, name: articles}, column: author_id}
  object_relationships:
    - name: org
      using: {foreign_key_constraint_on: org_id}
- table: {schema: public, name: articles}
  object_relationships:
    - name: author
      using: {foreign_key_constraint_on: author_id}
    - name: owner
      using:
        manual_configuration:
          remote_table: {schema: public, name: authors}
          column_mapping: {owner_id: id}
  array_relationships:
    - name: comments
      using:
        foreign_key_constraint_on: {table: comments, columns: [article_id]}
- table: {schema: public, name: comments}
  object_relationships:
    - name: article
      using: {foreign_key_constraint_on: [article_id]}
- table: {schema: public, name: orgs}
- table: {schema: shop, name: orders}
`

// loadString loads files (the first is the root) from memory.
func loadString(t *testing.T, files ...string) (*Metadata, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	root := ""
	for i := 0; i+1 < len(files); i += 2 {
		fsys[files[i]] = &fstest.MapFile{Data: []byte(files[i+1])}
		if root == "" {
			root = files[i]
		}
	}
	return LoadFS(fsys, root, blog())
}

// mustLoad loads one file and fails on any error.
func mustLoad(t *testing.T, src string) *Metadata {
	t.Helper()
	m, err := loadString(t, "t.yaml", src)
	if err != nil {
		t.Fatalf("unexpected errors:\n%v", err)
	}
	return m
}
