package generate_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/pgtest"
)

// BenchmarkGenerate100Tables generates and builds the server of a schema
// of 100 tables (10 columns each, a foreign key to the previous table, a
// role with a filter through it) from a snapshot: the time a user's build
// step takes.
//
//	go test ./generate -run '^$' -bench Generate100Tables -benchtime 1x
func BenchmarkGenerate100Tables(b *testing.B) {
	benchGenerate(b, 100, 1, false)
}

// BenchmarkGenerate250Tables90Roles is the size of a large real Hasura
// project: 250 tables and 90 roles, each role seeing two tables in three
// (every column, or six of the ten), half of them inserting, a seventh
// updating. Besides generate and build, it starts the server on a database
// made from the project's own sql/schema.sql and reports the time to a
// healthy /healthz, the server's resident memory idle and after one query
// per role, and the size of the per-role schema files.
//
//	go test ./generate -run '^$' -bench Generate250Tables90Roles -benchtime 1x
func BenchmarkGenerate250Tables90Roles(b *testing.B) {
	benchGenerate(b, 250, 90, true)
}

// syntheticSchema is the snapshot and permissions file of the scale
// benchmarks.
func syntheticSchema(tables, roles int) (*introspect.Schema, string) {
	s := &introspect.Schema{Version: introspect.SnapshotVersion, Schemas: []string{"public"}}
	var yaml strings.Builder
	typ := func(schema, name, sql string) introspect.Type {
		return introspect.Type{Schema: schema, Name: name, Kind: introspect.TypeBase, SQL: sql}
	}
	for i := 0; i < tables; i++ {
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
		if i < tables-1 {
			fmt.Fprintf(&yaml, "  array_relationships:\n    - name: children\n      using:\n        foreign_key_constraint_on: {table: {schema: public, name: t%03d}, column: parent_id}\n", i+1)
		}
		// Five filters per table among the roles, as roles of a real
		// project share some filters and differ in others.
		filters := []string{
			"{owner_id: {_eq: X-Hasura-User-Id}}",
			"{_and: [{owner_id: {_eq: X-Hasura-User-Id}}, {flag: {_eq: true}}]}",
			"{owner_id: {_in: X-Hasura-Allowed-Ids}}",
			"{_or: [{owner_id: {_eq: X-Hasura-User-Id}}, {title: {_ilike: \"%public%\"}}]}",
			"{_or: [{owner_id: {_eq: X-Hasura-User-Id}}, {parent: {owner_id: {_eq: X-Hasura-User-Id}}}]}",
		}
		var sel, ins, upd strings.Builder
		for r := 0; r < roles; r++ {
			filter := filters[r%len(filters)]
			if i == 0 && r%len(filters) == len(filters)-1 {
				filter = filters[0] // t000 has no parent
			}
			role := "user"
			if roles > 1 {
				role = fmt.Sprintf("role%02d", r)
			}
			if roles > 1 && (i+r)%3 == 0 {
				continue
			}
			columns := "'*'"
			if r%2 == 1 {
				columns = "[id, owner_id, parent_id, title, body, created_at]"
			}
			fmt.Fprintf(&sel, "    - role: %s\n      permission:\n        columns: %s\n        filter: %s\n        allow_aggregations: %t\n", role, columns, filter, r%4 == 0)
			if r%2 == 0 {
				fmt.Fprintf(&ins, "    - role: %s\n      permission:\n        columns: [title, body, amount, data, tags, flag, parent_id]\n        set: {owner_id: X-Hasura-User-Id}\n        check: %s\n", role, filter)
			}
			if r%7 == 0 {
				fmt.Fprintf(&upd, "    - role: %s\n      permission:\n        columns: [title, body]\n        filter: %s\n        check: {}\n", role, filter)
			}
		}
		for _, p := range []struct {
			key string
			b   *strings.Builder
		}{{"select_permissions", &sel}, {"insert_permissions", &ins}, {"update_permissions", &upd}} {
			if p.b.Len() > 0 {
				fmt.Fprintf(&yaml, "  %s:\n%s", p.key, p.b.String())
			}
		}
		s.Tables = append(s.Tables, t)
	}
	s.Sort()
	return s, yaml.String()
}

func benchGenerate(b *testing.B, tables, roles int, serve bool) {
	dir := b.TempDir()
	s, yaml := syntheticSchema(tables, roles)
	config := filepath.Join(dir, "hasgen.yaml")
	if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
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
		if _, err := generate.Generate(context.Background(), generate.Options{DB: s, Metadata: md, Config: config, Out: out, RuntimeReplace: root,
			// A module path of its own: the build compiles the generated
			// packages afresh (Go's cache would reuse an earlier run's), the
			// runtime's dependencies from the cache, as after a schema change.
			Module: fmt.Sprintf("bench%d.example/server", time.Now().UnixNano())}); err != nil {
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
		b.ReportMetric(float64(dirSize(filepath.Join(out, "db"))), "db-bytes")
		b.ReportMetric(float64(dirSize(filepath.Join(out, "schema"))), "schema-bytes")
		b.ReportMetric(float64(dirSize(filepath.Join(out, "schema", "relay"))), "relay-schema-bytes")
		if serve && i == 0 {
			benchServe(b, out, roles)
		}
	}
}

// dirSize is the total size of the files under dir.
func dirSize(dir string) int64 {
	var size int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() {
			size += fi.Size()
		}
		return nil
	})
	return size
}

// benchServe starts the built server of out on a database made from its
// sql/schema.sql and reports its start time and memory.
func benchServe(b *testing.B, out string, roles int) {
	url := pgtest.NewDatabase(b, filepath.Join(out, "sql", "schema.sql"))
	build := &e2e.Build{Dir: out, Binary: filepath.Join(out, "server.bin")}
	start := time.Now()
	srv, err := build.Start(context.Background(), map[string]string{"HASURA_GRAPHQL_DATABASE_URL": url, "HASURA_GRAPHQL_ADMIN_SECRET": "s"})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	b.ReportMetric(time.Since(start).Seconds(), "start-s")
	time.Sleep(time.Second)
	b.ReportMetric(rssMiB(b, srv.PID()), "idle-rss-MiB")
	for r := 0; r < roles; r++ {
		body := `{"query":"{ t001(limit: 1) { id } }"}`
		req, _ := http.NewRequest("POST", srv.URL+"/v1/graphql", strings.NewReader(body))
		req.Header.Set("x-hasura-admin-secret", "s")
		req.Header.Set("x-hasura-role", fmt.Sprintf("role%02d", r))
		req.Header.Set("x-hasura-user-id", "1")
		req.Header.Set("x-hasura-allowed-ids", "{1,2}")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.HasPrefix(msg, []byte(`{"data"`)) && !bytes.Contains(msg, []byte("not found in type")) {
			b.Fatalf("role%02d: %d %s", r, resp.StatusCode, msg)
		}
	}
	b.ReportMetric(rssMiB(b, srv.PID()), "all-roles-rss-MiB")
}

// rssMiB reads a process's resident set size.
func rssMiB(b *testing.B, pid int) float64 {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(st), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
