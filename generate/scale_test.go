package generate_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
)

// BenchmarkGenerate100Tables generates and builds the server of a schema
// of 100 tables (10 columns each, a foreign key to the previous table, a
// role with a filter through it) from a snapshot: the time a user's build
// step takes.
//
//	go test ./generate -run '^$' -bench Generate100Tables -benchtime 1x
func BenchmarkGenerate100Tables(b *testing.B) {
	dir := b.TempDir()
	s := &introspect.Schema{Version: introspect.SnapshotVersion, Schemas: []string{"public"}}
	var yaml strings.Builder
	typ := func(schema, name, sql string) introspect.Type {
		return introspect.Type{Schema: schema, Name: name, Kind: introspect.TypeBase, SQL: sql}
	}
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("t%03d", i)
		t := introspect.Table{Schema: "public", Name: name, Kind: introspect.KindTable, Insertable: true, Updatable: true, Deletable: true,
			PrimaryKey: &introspect.Constraint{Name: name + "_pkey", Columns: []string{"id"}}}
		cols := []introspect.Column{
			{Name: "id", Type: typ("pg_catalog", "int4", "integer"), NotNull: true, Default: "nextval('" + name + "_id_seq'::regclass)"},
			{Name: "owner_id", Type: typ("pg_catalog", "int4", "integer"), NotNull: true},
			{Name: "parent_id", Type: typ("pg_catalog", "int4", "integer")},
			{Name: "title", Type: typ("pg_catalog", "text", "text"), NotNull: true},
			{Name: "body", Type: typ("pg_catalog", "text", "text")},
			{Name: "amount", Type: typ("pg_catalog", "numeric", "numeric(10,2)")},
			{Name: "data", Type: typ("pg_catalog", "jsonb", "jsonb")},
			{Name: "tags", Type: introspect.Type{Schema: "pg_catalog", Name: "text", Kind: introspect.TypeBase, Dims: 1, SQL: "text[]"}},
			{Name: "flag", Type: typ("pg_catalog", "bool", "boolean"), NotNull: true, Default: "false"},
			{Name: "created_at", Type: typ("pg_catalog", "timestamptz", "timestamp with time zone"), NotNull: true, Default: "now()"},
		}
		for k := range cols {
			cols[k].Position = k + 1
			cols[k].Insertable, cols[k].Updatable = true, true
		}
		t.Columns = cols
		fmt.Fprintf(&yaml, "- table: {schema: public, name: %s}\n", name)
		if i > 0 {
			prev := fmt.Sprintf("t%03d", i-1)
			t.ForeignKeys = []introspect.ForeignKey{{Name: name + "_parent_id_fkey", Columns: []string{"parent_id"}, RefSchema: "public", RefTable: prev, RefColumns: []string{"id"}}}
			fmt.Fprintf(&yaml, "  object_relationships:\n    - name: parent\n      using: {foreign_key_constraint_on: parent_id}\n")
		}
		if i < 99 {
			fmt.Fprintf(&yaml, "  array_relationships:\n    - name: children\n      using:\n        foreign_key_constraint_on: {table: {schema: public, name: t%03d}, column: parent_id}\n", i+1)
		}
		filter := "{owner_id: {_eq: X-Hasura-User-Id}}"
		if i > 0 {
			filter = "{_or: [{owner_id: {_eq: X-Hasura-User-Id}}, {parent: {owner_id: {_eq: X-Hasura-User-Id}}}]}"
		}
		fmt.Fprintf(&yaml, "  select_permissions:\n    - role: user\n      permission:\n        columns: '*'\n        filter: %s\n        allow_aggregations: true\n", filter)
		fmt.Fprintf(&yaml, "  insert_permissions:\n    - role: user\n      permission:\n        columns: [title, body, amount, data, tags, flag, parent_id]\n        set: {owner_id: X-Hasura-User-Id}\n        check: %s\n", filter)
		s.Tables = append(s.Tables, t)
	}
	s.Sort()
	config := filepath.Join(dir, "hasgen.yaml")
	if err := os.WriteFile(config, []byte(yaml.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	md, err := metadata.Load(config, s)
	if err != nil {
		b.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		out := filepath.Join(dir, fmt.Sprintf("server%d", i))
		start := time.Now()
		if _, err := generate.Generate(context.Background(), generate.Options{DB: s, Metadata: md, Config: config, Out: out, RuntimeReplace: root}); err != nil {
			b.Fatal(err)
		}
		gen := time.Since(start)
		cmd := exec.Command("go", "build", "-o", filepath.Join(out, "server.bin"), ".")
		cmd.Dir = out
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("build: %v\n%s", err, o)
		}
		b.ReportMetric(gen.Seconds(), "generate-s")
		b.ReportMetric(time.Since(start).Seconds(), "generate+build-s")
		var size int64
		filepath.Walk(filepath.Join(out, "db"), func(_ string, fi os.FileInfo, _ error) error {
			if fi != nil && !fi.IsDir() {
				size += fi.Size()
			}
			return nil
		})
		b.ReportMetric(float64(size), "db-bytes")
	}
}
